/**
 * `npm run bench -- gas`: gas used by the registry, GroupSignature and ConfidentialPayloads operations on
 * Hardhat's in-process network. Each row is the median over several runs with different keys (gas varies
 * by a few units with calldata bytes). Baselines measured in the same run: a plain ETH transfer (the
 * 21,000 intrinsic cost every transaction pays) and a bare call of the ecrecover precompile.
 *
 * Group keys are single secp256k1 keys (the contracts only see signatures).
 */
import hre, { network } from "hardhat";
import type { HardhatEthers } from "@nomicfoundation/hardhat-ethers/types";
import { AbiCoder, ZeroAddress, concat, keccak256, toBeHex, toUtf8Bytes, type Contract } from "ethers";
import { memberSetHash, recordDigest } from "../../node/adapters/chain/record.js";
import {
  ecdsaTestKey,
  encryptionTestKey,
  schnorrTestKey,
  type TestKey,
} from "../../test/contracts/group-keys.js";
import { deployRegistry } from "../deploy.js";
import { fmt, machineLine, median, printTable } from "./table.js";

const RUNS = 5;
const Scheme = { ecdsa: 0, schnorr: 1, encryption: 2 } as const;
const commitment = (label: string) => keccak256(toUtf8Bytes(label));

type Samples = Map<string, bigint[]>;
const record = (samples: Samples, name: string, gas: bigint) =>
  samples.set(name, [...(samples.get(name) ?? []), gas]);

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("transaction not mined");
  return receipt.gasUsed;
}

async function signRecord(
  ethers: HardhatEthers,
  registry: Contract,
  fields: {
    groupId: bigint;
    keyId: bigint;
    epoch: bigint;
    publicKey: string;
    commitmentDigest: string;
    members: string[];
    degree: number;
  },
  signer: TestKey,
): Promise<string> {
  const digest = recordDigest(
    { chainId: (await ethers.provider.getNetwork()).chainId, registry: await registry.getAddress() },
    { ...fields, memberSetHash: memberSetHash(fields.members) },
  );
  return signer.sign(digest);
}

async function measureRegistry(ethers: HardhatEthers, samples: Samples, run: number): Promise<void> {
  const [admin, ...rest] = await ethers.getSigners();
  const ops = rest.slice(0, 5);
  const { contract: registry } = await deployRegistry(ethers, admin.address);
  for (const [i, op] of ops.entries()) {
    const gas = await gasOf(
      registry.addMember(op.address, `12D3KooWBenchMember${run}x${i}`, [`/ip4/10.0.${run}.${i}/tcp/4001`]),
    );
    record(samples, "addMember (1 multiaddr)", gas);
  }
  const members = ops.slice(0, 3).map((o) => o.address);
  record(samples, "createGroup (n = 3)", await gasOf(registry.createGroup(members)));
  record(samples, "createGroup (n = 5)", await gasOf(registry.createGroup(ops.map((o) => o.address))));
  const asMember = registry.connect(ops[0]) as Contract;

  const keys = {
    ecdsa: ecdsaTestKey(`bench-ecdsa-${run}`),
    schnorr: schnorrTestKey(`bench-schnorr-${run}`),
    encryption: encryptionTestKey(`bench-enc-${run}`),
  };
  const ids: Record<keyof typeof keys, bigint> = { ecdsa: 0n, schnorr: 0n, encryption: 0n };
  for (const scheme of ["ecdsa", "schnorr", "encryption"] as const) {
    record(samples, "requestKey", await gasOf(registry.requestKey(1n, Scheme[scheme], 1)));
    const keyId = (await registry.keyCount()) as bigint;
    ids[scheme] = keyId;
    const signer = scheme === "encryption" ? keys.ecdsa : keys[scheme];
    const signerKeyId = scheme === "encryption" ? ids.ecdsa : keyId;
    const fields = {
      groupId: 1n,
      keyId,
      epoch: 0n,
      publicKey: keys[scheme].publicKey,
      commitmentDigest: commitment(`${run}${scheme}`),
      members,
      degree: 1,
    };
    const signature = await signRecord(ethers, registry, fields, signer);
    const label =
      scheme === "encryption" ? "publishKey encryption (ECDSA authority)" : `publishKey ${scheme}`;
    record(
      samples,
      label,
      await gasOf(
        asMember.publishKey(keyId, fields.publicKey, fields.commitmentDigest, signerKeyId, signature),
      ),
    );
  }
  for (const scheme of ["ecdsa", "schnorr"] as const) {
    const keyId = ids[scheme];
    const fields = {
      groupId: 1n,
      keyId,
      epoch: 1n,
      publicKey: keys[scheme].publicKey,
      commitmentDigest: commitment(`e${run}${scheme}`),
      members,
      degree: 1,
    };
    const signature = await signRecord(ethers, registry, fields, keys[scheme]);
    record(
      samples,
      `advanceEpoch ${scheme}`,
      await gasOf(registry.advanceEpoch(keyId, 1n, fields.commitmentDigest, keyId, signature)),
    );
  }

  const next = [ops[0].address, ops[1].address, ops[3].address, ops[4].address, ops[2].address];
  record(samples, "requestMembershipChange (n = 5)", await gasOf(registry.requestMembershipChange(1n, next)));
  const reshares = [];
  for (const scheme of ["ecdsa", "schnorr", "encryption"] as const) {
    const keyId = ids[scheme];
    const fields = {
      groupId: 1n,
      keyId,
      epoch: 2n,
      publicKey: keys[scheme].publicKey,
      commitmentDigest: commitment(`r${run}${scheme}`),
      members: next,
      degree: 2,
    };
    const signer = scheme === "encryption" ? keys.schnorr : keys[scheme];
    const signerKeyId = scheme === "encryption" ? ids.schnorr : keyId;
    reshares.push([
      keyId,
      2n,
      2,
      fields.commitmentDigest,
      signerKeyId,
      await signRecord(ethers, registry, fields, signer),
    ]);
  }
  record(samples, "changeMembership (3 keys, n 3 → 5)", await gasOf(registry.changeMembership(1n, reshares)));
}

async function measureSignatures(ethers: HardhatEthers, samples: Samples, run: number): Promise<void> {
  const harness = (await ethers.deployContract("GroupSignatureHarness")) as unknown as Contract;
  const digest = commitment(`digest-${run}`);
  const ecdsa = ecdsaTestKey(`verify-ecdsa-${run}`);
  const schnorr = schnorrTestKey(`verify-schnorr-${run}`);
  const [okE, gasE] = await harness.measureEcdsa(digest, ecdsa.sign(digest), ecdsa.address);
  const [okS, gasS] = await harness.measureSchnorr(digest, schnorr.sign(digest), schnorr.px);
  if (!okE || !okS) throw new Error("verification failed");
  record(samples, "GroupSignature.verifyEcdsa (inside the call)", gasE);
  record(samples, "GroupSignature.verifySchnorr (inside the call)", gasS);
  const harnessAddress = await harness.getAddress();
  const call = (data: string) => ethers.provider.estimateGas({ to: harnessAddress, data });
  const iface = harness.interface;
  record(
    samples,
    "verifyEcdsa as a whole call (estimateGas)",
    await call(iface.encodeFunctionData("verifyEcdsa", [digest, ecdsa.sign(digest), ecdsa.address])),
  );
  record(
    samples,
    "verifySchnorr as a whole call (estimateGas)",
    await call(iface.encodeFunctionData("verifySchnorr", [digest, schnorr.sign(digest), schnorr.px])),
  );
  // Baselines: the bare precompile, and a plain transfer.
  const sig = ethers.Signature.from(ecdsa.sign(digest));
  const precompileInput = concat([digest, toBeHex(sig.v, 32), sig.r, sig.s]);
  record(
    samples,
    "baseline: ecrecover precompile call (estimateGas)",
    await ethers.provider.estimateGas({
      to: "0x0000000000000000000000000000000000000001",
      data: precompileInput,
    }),
  );
  const [sender] = await ethers.getSigners();
  record(
    samples,
    "baseline: ETH transfer",
    await gasOf(sender.sendTransaction({ to: "0x000000000000000000000000000000000000dEaD", value: 1n })),
  );
}

async function measureReveal(ethers: HardhatEthers, samples: Samples, run: number): Promise<void> {
  const abi = AbiCoder.defaultAbiCoder();
  const [, bidder] = await ethers.getSigners();
  const ecdsa = ecdsaTestKey(`reveal-ecdsa-${run}`);
  const schnorr = schnorrTestKey(`reveal-schnorr-${run}`);
  for (const [label, authority, signer] of [
    ["revealPayload (ECDSA authority)", { scheme: 0, signer: ecdsa.address, px: 0n }, ecdsa],
    ["revealPayload (Schnorr authority)", { scheme: 1, signer: ZeroAddress, px: schnorr.px }, schnorr],
  ] as const) {
    const now = (await ethers.provider.getBlock("latest"))!.timestamp;
    const auction = (await ethers.deployContract("SealedBidAuction", [
      authority,
      now + 100,
      now + 200,
    ])) as unknown as Contract;
    // A 32-byte bid encrypted with eciesjs is 97 + 32 bytes; any bytes of that size cost the same.
    const ciphertext = keccak256(toUtf8Bytes("x"))
      .repeat(4)
      .replace(/0x/g, "")
      .slice(0, 2 * 129);
    record(
      samples,
      "submitBid (129-byte ciphertext)",
      await gasOf((auction.connect(bidder) as Contract).submitBid("0x" + ciphertext)),
    );
    await ethers.provider.send("evm_increaseTime", [100]);
    await ethers.provider.send("evm_mine", []);
    record(samples, "requestReveal", await gasOf(auction.requestReveal(1n)));
    const plaintext = abi.encode(["uint256"], [BigInt(1000 + run)]);
    const digest = await auction.revealDigest(1n, keccak256(plaintext));
    record(samples, label, await gasOf(auction.revealPayload(1n, plaintext, signer.sign(digest))));
  }
}

export async function main(args: string[]): Promise<void> {
  const runs = Number(args[0] ?? RUNS);
  await hre.tasks.getTask("build").run({ quiet: true });
  const connection = await network.create();
  const { ethers } = connection;
  const samples: Samples = new Map();
  try {
    for (let run = 0; run < runs; run++) {
      await measureRegistry(ethers, samples, run);
      await measureSignatures(ethers, samples, run);
      await measureReveal(ethers, samples, run);
    }
  } finally {
    await connection.close();
  }
  console.log(`gas benchmark: ${machineLine()}, hardhat in-process network, ${runs} runs per row`);
  printTable(
    "Gas used (median over runs; transactions include the 21,000 intrinsic gas)",
    ["operation", "gas (median)", "min", "max", "samples"],
    [...samples.entries()].map(([name, values]) => {
      const nums = values.map(Number);
      return [name, fmt(median(nums), 0), fmt(Math.min(...nums), 0), fmt(Math.max(...nums), 0), nums.length];
    }),
  );
}
