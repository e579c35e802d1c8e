/**
 * `npm run demo`: the whole Shardless lifecycle on one machine, with real parts — Hardhat's JSON-RPC node,
 * the registry contract, three member processes talking libp2p over TCP — then teardown.
 *
 *   1. devnet: registry, 3 members (degree 1), one group
 *   2. DKG of an ecdsa, a schnorr and an encryption key (each published in the registry with a group
 *      signature the contract verifies)
 *   3. threshold ECDSA: a transaction sent from the group address, and an EIP-191 message
 *   4. FROST: a BIP-340 signature
 *   5. threshold decryption: a sealed-bid auction with a TDH2 bid and an eciesjs bid, revealed on-chain
 *      with a group signature after the deadline
 *   6. proactive refresh of the ecdsa key: new epoch, same address, signing still works
 *
 * Options: --members N (default 3), --dir PATH (default .devnet/demo), --json (summary as JSON).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { encrypt as eciesEncrypt } from "eciesjs";
import {
  AbiCoder,
  Contract,
  ContractFactory,
  JsonRpcProvider,
  formatEther,
  getBytes,
  hexlify,
  keccak256,
  parseEther,
  verifyMessage,
  NonceManager,
  Wallet,
  type HDNodeWallet,
} from "ethers";
import { readFile } from "node:fs/promises";
import { ShardlessClient } from "../node/client/api-client.js";
import { GroupSigner } from "../node/client/signer.js";
import { encryptForContract } from "../node/client/encryption.js";
import { schnorrVerify, hexToBytes, utf8ToBytes } from "../node/crypto/index.js";
import { startDevnet, type Devnet } from "./devnet/devnet.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: { members: { type: "string", default: "3" }, dir: { type: "string" }, json: { type: "boolean" } },
});
const members = Number(values.members);
const json = Boolean(values.json);
const t0 = Date.now();
const step = (msg: string) => {
  if (!json) console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
};
const summary: Record<string, unknown> = {};

async function artifact(name: string, sub = "") {
  const file = path.join(ROOT, "artifacts", "contracts", sub, `${name}.sol`, `${name}.json`);
  return JSON.parse(await readFile(file, "utf8")) as { abi: unknown[]; bytecode: string };
}

async function main(devnet: Devnet) {
  const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { polling: true, pollingInterval: 100 });
  // One nonce source for the funding account (ethers' provider may serve a cached pending nonce).
  const funder = new NonceManager(new Wallet(devnet.funder().privateKey, provider));
  const node = (i: number) =>
    new ShardlessClient({ url: devnet.members[i].apiUrl, token: devnet.members[i].token });
  const api = node(0);

  step("DKG: ecdsa key (quorum 2t+1 = 3, colluders to steal t+1 = 2)");
  const ecdsa = await api.keygen(devnet.groupId, "ecdsa", 1);
  step(`  ecdsa key ${ecdsa.keyId}: address ${ecdsa.address}, published in the registry`);
  step("DKG: schnorr key (FROST, quorum t+1 = 2)");
  const schnorr = await api.keygen(devnet.groupId, "schnorr", 1);
  step(`  schnorr key ${schnorr.keyId}: x-only ${schnorr.xOnlyPublicKey}`);
  step("DKG: encryption key (TDH2 / ECIES, quorum t+1 = 2)");
  const enc = await api.keygen(devnet.groupId, "encryption", 1);
  step(`  encryption key ${enc.keyId}: ${enc.publicKey}`);

  // ---- threshold ECDSA: a transaction from the group address ----
  const signer = new GroupSigner(node(1), ecdsa.keyId, provider);
  const groupAddress = await signer.getAddress();
  await (await funder.sendTransaction({ to: groupAddress, value: parseEther("1") })).wait();
  const recipient = Wallet.createRandom().address;
  step(`threshold ECDSA: sending 0.25 ETH from the group address ${groupAddress} (coordinated by member 2)`);
  const tx = await signer.sendTransaction({ to: recipient, value: parseEther("0.25") });
  const receipt = await tx.wait();
  const received = await provider.getBalance(recipient);
  step(`  mined in block ${receipt!.blockNumber}: recipient balance ${formatEther(received)} ETH`);
  const message = "Shardless: keys that are never assembled";
  const msgSig = await new GroupSigner(node(2), ecdsa.keyId, provider).signMessage(message);
  const recovered = verifyMessage(message, msgSig);
  step(`  EIP-191 message signed by member 3's coordination, recovers to ${recovered}`);
  summary.ecdsa = {
    keyId: ecdsa.keyId,
    address: groupAddress,
    tx: tx.hash,
    block: receipt!.blockNumber,
    messageSignerOk: recovered === groupAddress,
  };

  // ---- FROST ----
  const digest = keccak256(utf8ToBytes("FROST over secp256k1"));
  const sch = await node(1).sign(schnorr.keyId, { kind: "digest", digest: digest as `0x${string}` });
  const schOk = schnorrVerify(
    hexToBytes(sch.signature.slice(2)),
    getBytes(digest),
    hexToBytes(schnorr.xOnlyPublicKey!.slice(2)),
  );
  step(`FROST: BIP-340 signature ${sch.signature.slice(0, 18)}… verifies: ${schOk}`);
  summary.schnorr = { keyId: schnorr.keyId, signature: sch.signature, verifies: schOk };

  // ---- threshold decryption: a sealed-bid auction ----
  const auctionArt = await artifact("SealedBidAuction", "examples");
  const now = (await provider.getBlock("latest"))!.timestamp;
  const authority = { scheme: 0, signer: groupAddress, px: 0n };
  const factory = new ContractFactory(auctionArt.abi as never, auctionArt.bytecode, funder);
  const auction = (await factory.deploy(authority, now + 60, now + 3600)) as unknown as Contract;
  await auction.waitForDeployment();
  const auctionAddress = await auction.getAddress();
  step(
    `decryption: SealedBidAuction at ${auctionAddress}; its reveals need a signature by the group's ecdsa key`,
  );
  const alice = Wallet.createRandom().connect(provider);
  const bob = Wallet.createRandom().connect(provider);
  for (const w of [alice, bob])
    await (await funder.sendTransaction({ to: w.address, value: parseEther("0.1") })).wait();
  const coder = AbiCoder.defaultAbiCoder();
  const aliceTopic: string = await auction.bidTopic(alice.address);
  const aliceCt = encryptForContract(
    { chainId: BigInt(devnet.chainId), contract: auctionAddress, topic: aliceTopic },
    getBytes(coder.encode(["uint256"], [700n])),
    hexToBytes(enc.publicKey.slice(2)),
  );
  const bobCt = eciesEncrypt(hexToBytes(enc.publicKey.slice(2)), getBytes(coder.encode(["uint256"], [500n])));
  const asBidder = (w: Wallet | HDNodeWallet) => auction.connect(w) as Contract;
  await (await asBidder(alice).submitBid(aliceCt)).wait();
  await (await asBidder(bob).submitBid(bobCt)).wait();
  const ids: bigint[] = [...(await auction.bidIds())];
  step(
    `  bids placed: alice TDH2 (${aliceCt.length} B, label binds chain+contract+topic), bob eciesjs (${bobCt.length} B)`,
  );
  try {
    await api.decrypt(enc.keyId, hexlify(aliceCt) as `0x${string}`, "tdh2", { id: ids[0] });
    throw new Error("decryption before the deadline should have been refused");
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== "POLICY") throw e;
    step("  decryption before the deadline: refused by every member's on-chain policy check (POLICY)");
  }
  await provider.send("evm_increaseTime", [120]);
  await provider.send("evm_mine", []);
  await (await auction.requestAllReveals()).wait();
  await provider.send("evm_mine", []);
  const revealed: Record<string, string> = {};
  for (const [i, ct, format] of [
    [0, aliceCt, "tdh2"],
    [1, bobCt, "ecies"],
  ] as const) {
    const plaintext = await node(i + 1).decrypt(enc.keyId, hexlify(ct) as `0x${string}`, format, {
      id: ids[i],
      contract: auctionAddress,
    });
    const d = await auction.revealDigest(ids[i], keccak256(plaintext));
    const sig = await node(0).sign(ecdsa.keyId, { kind: "digest", digest: d });
    await (await auction.revealPayload(ids[i], plaintext, sig.signature)).wait();
    revealed[format] = coder.decode(["uint256"], plaintext)[0].toString();
    step(
      `  ${format} bid decrypted by the group (t+1 DLEQ-proved shares) and revealed on-chain: ${revealed[format]}`,
    );
  }
  const leader = await auction.leader();
  step(`  leading bid: ${leader[1]} by ${leader[0] === alice.address ? "alice" : "bob"}`);
  summary.decryption = {
    auction: auctionAddress,
    revealed,
    leader: { bidder: leader[0], amount: String(leader[1]) },
  };

  // ---- proactive refresh ----
  step("refresh: new shares of the ecdsa key, same public key, epoch advanced in the registry");
  const refreshed = await api.refresh(ecdsa.keyId);
  const tx2 = await signer.sendTransaction({ to: recipient, value: parseEther("0.01") });
  await tx2.wait();
  step(
    `  epoch ${refreshed.epoch}, address ${refreshed.address} (unchanged: ${refreshed.address === groupAddress}); signing after refresh: ${tx2.hash.slice(0, 18)}…`,
  );
  summary.refresh = {
    epoch: refreshed.epoch,
    addressUnchanged: refreshed.address === groupAddress,
    tx: tx2.hash,
  };

  const status = await api.status();
  summary.keys = status.groups[0].keys.map((k) => ({
    keyId: k.keyId,
    scheme: k.scheme,
    epoch: k.epoch,
    quorum: k.quorum,
    colludersToSteal: k.colludersToSteal,
  }));
  provider.destroy();
}

step("compiling contracts (offline solc)");
const build = spawnSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["build", "--quiet"], {
  cwd: ROOT,
  stdio: json ? "ignore" : "inherit",
});
if (build.status !== 0) {
  console.error("demo: contract compilation failed");
  process.exit(1);
}
const devnet = await startDevnet({
  dir: values.dir ?? path.join(ROOT, ".devnet", "demo"),
  members,
  allowUnlabelled: true,
  logLevel: "info",
  onProgress: step,
});
let failed = false;
try {
  await main(devnet);
} catch (e) {
  failed = true;
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  console.error(`member logs: ${path.join(devnet.members[0].dir, "..")}/member-*/node.log`);
} finally {
  step("stopping members and the chain");
  await devnet.stop();
}
if (json)
  console.log(JSON.stringify({ ok: !failed, seconds: (Date.now() - t0) / 1000, ...summary }, null, 2));
else if (!failed) {
  console.log("\nSummary");
  console.table(summary.keys);
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
process.exit(failed ? 1 : 0);
