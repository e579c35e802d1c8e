/**
 * `hardhat shardless demo` and `npm run demo` (scripts/demo.ts runs this task): a throwaway devnet and the
 * whole lifecycle in one command — DKG of an ecdsa, a schnorr and an encryption key; a transaction and an
 * EIP-191 message from the group address; a FROST BIP-340 signature; a sealed-bid auction with a TDH2 bid
 * and an eciesjs bid, refused before the deadline and revealed after it (threshold decryption + on-chain
 * group signature); a refresh (same address after it) — then a summary and teardown. Stops at the first
 * failing step and says which.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { encrypt as eciesEncrypt } from "eciesjs";
import {
  AbiCoder,
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Wallet,
  getBytes,
  hexlify,
  keccak256,
  parseEther,
  recoverAddress,
  toUtf8Bytes,
  verifyMessage,
  type InterfaceAbi,
  type Signer,
} from "ethers";
import { encryptForContract } from "../../../node/client/encryption.js";
import { ShardlessClient } from "../../../node/client/api-client.js";
import { GroupSigner } from "../../../node/client/signer.js";
import type { Hex, KeyStatus } from "../../../node/client/types.js";
import { schnorrVerify } from "../../../node/crypto/secp256k1.js";
import type { ShardlessDevnetConfig } from "../config.js";
import type { DevnetHandle, StartDevnet } from "../devnet-types.js";
import { ShardlessPluginError, explainError } from "../errors.js";
import type { TaskOutput } from "../output.js";
import { taskContext } from "../task-context.js";

export interface DemoArgs {
  /** Members of the throwaway devnet (0: `shardless.devnet.members`). */
  members: number;
  /** Its directory (default: `<shardless.devnet.dataDir>-demo`). */
  dir?: string;
  json: boolean;
}

export interface DemoOptions {
  members: number;
  degree: number;
  dir: string;
}

export interface DemoStep {
  step: string;
  ok: boolean;
  ms: number;
  detail?: string;
  error?: { code: string; message: string };
}

export interface DemoSummary {
  ok: boolean;
  /** Where the devnet's configs and member logs stay after teardown. */
  dir: string;
  steps: DemoStep[];
}

/** Members, degree and directory of a demo run. Its own directory: a demo never wipes a running devnet. */
export function demoOptions(
  args: Pick<DemoArgs, "members" | "dir">,
  devnet: ShardlessDevnetConfig,
): DemoOptions {
  if (args.members !== 0 && args.members < 2) {
    throw new ShardlessPluginError("BAD_ARGUMENT", "--members must be at least 2.");
  }
  const members = args.members > 0 ? args.members : devnet.members;
  if (devnet.degree >= members) {
    throw new ShardlessPluginError(
      "BAD_ARGUMENT",
      `--members must exceed \`shardless.devnet.degree\` (${devnet.degree}).`,
    );
  }
  return { members, degree: devnet.degree, dir: args.dir ?? `${devnet.dataDir}-demo` };
}

const coder = AbiCoder.defaultAbiCoder();
const bidOf = (amount: bigint) => coder.encode(["uint256"], [amount]) as Hex;

export async function demo(
  options: DemoOptions,
  ctx: {
    out: TaskOutput;
    startDevnet: StartDevnet;
    readArtifact(name: string): Promise<{ abi: readonly unknown[]; bytecode: string }>;
  },
): Promise<DemoSummary> {
  const { members, degree, dir } = options;
  const steps: DemoStep[] = [];
  const step = async <T>(name: string, work: () => Promise<T>, detail: (r: T) => string): Promise<T> => {
    const started = Date.now();
    ctx.out.progress(`▶ ${name}`);
    try {
      const r = await work();
      steps.push({ step: name, ok: true, ms: Date.now() - started, detail: detail(r) });
      return r;
    } catch (err) {
      const e = explainError(err) as { code?: string; message?: string; shortMessage?: string };
      // ethers errors carry the whole transaction in `message`; its short form is what helps.
      const message = (e.shortMessage ?? e.message ?? String(err)).slice(0, 300);
      steps.push({
        step: name,
        ok: false,
        ms: Date.now() - started,
        error: { code: e.code ?? "ERROR", message },
      });
      throw err;
    }
  };
  const expect = (ok: boolean, code: string, what: string) => {
    if (!ok) throw new ShardlessPluginError(code, what);
  };

  let dn: DevnetHandle | undefined;
  let provider: JsonRpcProvider | undefined;
  try {
    dn = await step(
      "start a devnet (chain, registry, member processes)",
      // allowUnlabelled: the eciesjs bid carries no label; members then rely on the payload pointer alone.
      () =>
        ctx.startDevnet({
          members,
          dir,
          allowUnlabelled: true,
          onProgress: (l) => ctx.out.progress(`  ${l}`),
        }),
      (d) => `${d.members.length} members in group ${d.groupId}, registry ${d.registry}`,
    );
    const devnet = dn;
    // Requests go to different members: any member can coordinate.
    const clients = devnet.members.map((m) => new ShardlessClient({ url: m.apiUrl, token: m.token }));
    const client = (i: number) => clients[i % clients.length]!;
    // cacheTimeout -1: back-to-back transactions must not reuse a cached nonce.
    provider = new JsonRpcProvider(devnet.rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    });
    const chain = provider;

    const keygen = (scheme: "ecdsa" | "schnorr" | "encryption") =>
      step(
        `generate ${scheme === "schnorr" ? "a" : "an"} ${scheme} key (degree ${degree})`,
        () => client(0).keygen(devnet.groupId, scheme, degree),
        keyDetail,
      );
    const ecdsa = await keygen("ecdsa");
    const schnorr = await keygen("schnorr");
    const encryption = await keygen("encryption");

    const signer = new GroupSigner(client(1), ecdsa.keyId, chain);
    const funder = devnet.funder().connect(chain);
    await step(
      "fund the group address",
      async () =>
        (await (await funder.sendTransaction({ to: ecdsa.address!, value: parseEther("1") })).wait())!,
      () => `1 ETH to ${ecdsa.address}`,
    );
    const send = async () => {
      const receipt = await (
        await signer.sendTransaction({ to: await funder.getAddress(), value: parseEther("0.01") })
      ).wait();
      expect(
        receipt?.status === 1 && receipt.from === ecdsa.address,
        "CHAIN",
        "the transaction did not succeed from the group address",
      );
      return receipt!;
    };
    await step(
      "send a transaction from the group address",
      send,
      (r) => `${r.hash} in block ${r.blockNumber}`,
    );
    await step(
      "sign a message (EIP-191)",
      async () => {
        const sig = await new GroupSigner(client(2), ecdsa.keyId, chain).signMessage("hello from the group");
        expect(
          verifyMessage("hello from the group", sig) === ecdsa.address,
          "VERIFICATION",
          "the message signature does not recover to the group",
        );
        return sig;
      },
      (sig) => `${sig.slice(0, 18)}… recovers to ${ecdsa.address}`,
    );
    await step(
      "sign with FROST (BIP-340)",
      async () => {
        const digest = keccak256(toUtf8Bytes("FROST over secp256k1")) as Hex;
        const { signature } = await client(1).sign(schnorr.keyId, { kind: "digest", digest });
        expect(
          schnorrVerify(getBytes(signature), getBytes(digest), getBytes(schnorr.xOnlyPublicKey!)),
          "VERIFICATION",
          "the BIP-340 signature does not verify against the group's x-only key",
        );
        return signature;
      },
      (sig) => `${sig.slice(0, 18)}… verifies against x-only key ${schnorr.xOnlyPublicKey!.slice(0, 12)}…`,
    );

    // Threshold decryption the way contracts use it: sealed bids, revealed only after the deadline.
    const bidder = Wallet.createRandom().connect(chain);
    const { auction, bids } = await step(
      "deploy a sealed-bid auction; bid 700 (TDH2, labelled) and 500 (eciesjs)",
      async () => {
        await (await funder.sendTransaction({ to: bidder.address, value: parseEther("0.1") })).wait();
        const artifact = await ctx.readArtifact("SealedBidAuction");
        const now = (await chain.getBlock("latest"))!.timestamp;
        const authority = { scheme: 0, signer: ecdsa.address!, px: 0 }; // reveals signed by the ecdsa key
        const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, funder);
        const auction = (await (
          await factory.deploy(authority, now + 60, now + 3600)
        ).waitForDeployment()) as Contract;
        const contract = await auction.getAddress();
        const topic = (await auction.getFunction("bidTopic")(await funder.getAddress())) as string;
        const tdh2 = encryptForContract(
          { chainId: (await chain.getNetwork()).chainId, contract, topic },
          getBytes(bidOf(700n)),
          encryption.publicKey,
        );
        const ecies = eciesEncrypt(getBytes(encryption.publicKey), getBytes(bidOf(500n)));
        const bids = [
          { format: "tdh2" as const, ciphertext: hexlify(tdh2) as Hex, amount: 700n, from: funder as Signer },
          {
            format: "ecies" as const,
            ciphertext: hexlify(ecies) as Hex,
            amount: 500n,
            from: bidder as Signer,
          },
        ];
        const placed = [];
        for (const b of bids) {
          const receipt = await (
            await (auction.connect(b.from) as Contract).getFunction("submitBid")(b.ciphertext)
          ).wait();
          const event = receipt.logs
            .map((l: { topics: string[]; data: string }) => auction.interface.parseLog(l))
            .find((e: { name: string } | null) => e?.name === "BidPlaced");
          placed.push({ ...b, id: event.args.bidId as bigint });
        }
        return { auction, bids: placed };
      },
      (r) => `auction ${r.auction.target}, bids ${r.bids.map((b) => `${b.id} (${b.format})`).join(", ")}`,
    );
    const contract = await auction.getAddress();
    const decrypt = (b: (typeof bids)[number], i: number) =>
      client(i).decrypt(encryption.keyId, b.ciphertext, b.format, { contract, id: b.id });
    await step(
      "decryption before the deadline is refused by every member's on-chain policy check",
      async () => {
        const refusal = await decrypt(bids[0]!, 0).then(
          () => undefined,
          (e: { code?: string }) => {
            if (e.code !== "POLICY") throw e;
            return e.code;
          },
        );
        expect(refusal !== undefined, "POLICY", "the group decrypted a bid before the contract allowed it");
        return refusal!;
      },
      (code) => `refused (${code}), no plaintext`,
    );
    await step(
      "close the bidding and request the reveals",
      async () => {
        await chain.send("evm_increaseTime", [61]);
        await chain.send("evm_mine", []);
        return (await auction.getFunction("requestAllReveals")()).wait();
      },
      () => "revealAllowed(id) now holds on-chain for both bids",
    );
    for (const [i, b] of bids.entries()) {
      await step(
        `threshold-decrypt the ${b.format} bid and post the reveal with a group signature`,
        async () => {
          const plaintext = await decrypt(b, i + 1);
          expect(plaintext === bidOf(b.amount), "VERIFICATION", "decrypted the wrong plaintext");
          const digest = (await auction.getFunction("revealDigest")(b.id, keccak256(plaintext))) as Hex;
          const signed = await client(i).sign(ecdsa.keyId, { kind: "digest", digest });
          expect(
            recoverAddress(digest, signed.signature) === ecdsa.address,
            "VERIFICATION",
            "the reveal signature does not recover to the group",
          );
          await (await auction.getFunction("revealPayload")(b.id, plaintext, signed.signature)).wait();
          const bid = await auction.getFunction("bid")(b.id);
          expect(bid.amount === b.amount, "CHAIN", "the contract did not record the revealed bid");
          return bid.amount as bigint;
        },
        (amount) => `the auction verified the group signature and recorded ${amount}`,
      );
    }
    await step(
      "the leading bid",
      async () => {
        const leader = await auction.getFunction("leader")();
        expect(leader[1] === 700n, "CHAIN", "the auction does not lead with the highest bid");
        return leader[1] as bigint;
      },
      (amount) => `${amount}`,
    );
    const refreshed = await step(
      "refresh the ecdsa key's shares",
      () => client(0).refresh(ecdsa.keyId),
      (k) => `epoch ${k.epoch}, same address ${k.address}`,
    );
    expect(refreshed.address === ecdsa.address, "VERIFICATION", "the refresh changed the group address");
    await step(
      "send again after the refresh (same address)",
      send,
      (r) => `${r.hash} in block ${r.blockNumber}`,
    );
  } catch (err) {
    if (steps.length === 0 || steps.at(-1)!.ok) {
      // A failure outside a step: record it so the summary shows it.
      steps.push({
        step: "demo",
        ok: false,
        ms: 0,
        error: { code: (err as { code?: string }).code ?? "ERROR", message: (err as Error).message },
      });
    }
  } finally {
    provider?.destroy();
    if (dn) {
      ctx.out.progress("Stopping the devnet...");
      await dn.stop();
    }
  }

  const summary: DemoSummary = { ok: steps.every((s) => s.ok), dir, steps };
  ctx.out.result(summary, () => [
    "Shardless demo:",
    ...steps.map(
      (s) =>
        `  ${s.ok ? "ok  " : "FAIL"} ${s.step} (${(s.ms / 1000).toFixed(1)} s)` +
        (s.ok ? (s.detail ? `: ${s.detail}` : "") : `: [${s.error!.code}] ${s.error!.message}`),
    ),
    summary.ok
      ? "All steps passed; the devnet is stopped."
      : `The demo stopped at the failed step; the devnet is stopped (member logs: ${dir}/member-*/node.log).`,
  ]);
  if (!summary.ok) {
    const failed = steps.find((s) => !s.ok)!;
    throw new ShardlessPluginError(
      "DEMO_FAILED",
      `Demo step "${failed.step}" failed: ${failed.error!.message}`,
    );
  }
  return summary;
}

function keyDetail(k: KeyStatus): string {
  return `key ${k.keyId}: quorum ${k.quorum}, ${k.colludersToSteal} colluders to steal, ${k.address ?? k.xOnlyPublicKey ?? k.publicKey}`;
}

export default async (args: DemoArgs, hre: HardhatRuntimeEnvironment) => {
  const { startDevnet } = await import("../../../scripts/devnet/devnet.js");
  const { config, out } = taskContext(hre, args.json);
  return demo(demoOptions(args, config.devnet), {
    out,
    startDevnet,
    readArtifact: (name) => hre.artifacts.readArtifact(name),
  });
};
