/**
 * `hardhat shardless demo`: a throwaway devnet and the whole lifecycle in one command: key generation,
 * a transaction from the group address, a signed message, a sealed bid encrypted for an auction contract
 * and revealed after its deadline (threshold decryption + on-chain group signature), a refresh (same
 * address after it), then a summary and teardown. Stops at the first failing step and says which.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import {
  AbiCoder,
  Contract,
  ContractFactory,
  JsonRpcProvider,
  getBytes,
  hexlify,
  keccak256,
  parseEther,
  recoverAddress,
  verifyMessage,
  type InterfaceAbi,
} from "ethers";
import { encryptForContract } from "../../../node/client/encryption.js";
import { ShardlessClient } from "../../../node/client/api-client.js";
import { GroupSigner } from "../../../node/client/signer.js";
import type { Hex, KeyStatus } from "../../../node/client/types.js";
import type { DevnetHandle, StartDevnet } from "../devnet-types.js";
import { ShardlessPluginError, explainError } from "../errors.js";
import { taskContext, type TaskContext } from "../task-context.js";

export interface DemoArgs {
  json: boolean;
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
  steps: DemoStep[];
}

export async function demo(
  _args: DemoArgs,
  ctx: Pick<TaskContext, "config" | "out"> & {
    startDevnet: StartDevnet;
    readArtifact(name: string): Promise<{ abi: readonly unknown[]; bytecode: string }>;
  },
): Promise<DemoSummary> {
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

  const { members, degree } = ctx.config.devnet;
  // Its own directory: a demo never wipes a devnet that may be running.
  const dir = `${ctx.config.devnet.dataDir}-demo`;
  let dn: DevnetHandle | undefined;
  let provider: JsonRpcProvider | undefined;
  try {
    dn = await step(
      "start a devnet (chain, registry, member processes)",
      () => ctx.startDevnet({ members, dir, onProgress: (l) => ctx.out.progress(`  ${l}`) }),
      (d) => `${d.members.length} members in group ${d.groupId}, registry ${d.registry}`,
    );
    const devnet = dn;
    const member = devnet.members[0]!;
    const client = new ShardlessClient({ url: member.apiUrl, token: member.token });
    // cacheTimeout -1: back-to-back transactions must not reuse a cached nonce.
    provider = new JsonRpcProvider(devnet.rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    });
    const chain = provider;

    const ecdsa = await step(
      `generate an ecdsa key (degree ${degree})`,
      () => client.keygen(devnet.groupId, "ecdsa", degree),
      (k) => keyDetail(k),
    );
    const encryption = await step(
      `generate an encryption key (degree ${degree})`,
      () => client.keygen(devnet.groupId, "encryption", degree),
      (k) => keyDetail(k),
    );
    const signer = new GroupSigner(client, ecdsa.keyId, chain);
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
      if (receipt?.status !== 1 || receipt.from !== ecdsa.address) {
        throw new ShardlessPluginError("CHAIN", "the transaction did not succeed from the group address");
      }
      return receipt;
    };
    await step(
      "send a transaction from the group address",
      send,
      (r) => `${r.hash} in block ${r.blockNumber}`,
    );
    await step(
      "sign a message (EIP-191)",
      async () => {
        const sig = await signer.signMessage("hello from the group");
        if (verifyMessage("hello from the group", sig) !== ecdsa.address) {
          throw new ShardlessPluginError(
            "VERIFICATION",
            "the message signature does not recover to the group",
          );
        }
        return sig;
      },
      (sig) => `${sig.slice(0, 18)}… recovers to ${ecdsa.address}`,
    );
    // Threshold decryption the way contracts use it: a sealed bid, revealed only after the deadline.
    const { auction, bidId, ciphertext, amount } = await step(
      "deploy a sealed-bid auction and submit an encrypted bid",
      async () => {
        const artifact = await ctx.readArtifact("SealedBidAuction");
        const now = (await chain.getBlock("latest"))!.timestamp;
        const authority = { scheme: 0, signer: ecdsa.address!, px: 0 }; // reveals signed by the ecdsa key
        const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, funder);
        const auction = (await (
          await factory.deploy(authority, now + 60, now + 3600)
        ).waitForDeployment()) as Contract;
        const contract = await auction.getAddress();
        const topic = (await auction.getFunction("bidTopic")(await funder.getAddress())) as string;
        const amount = AbiCoder.defaultAbiCoder().encode(["uint256"], [42n]);
        const ct = encryptForContract(
          { chainId: (await chain.getNetwork()).chainId, contract, topic },
          getBytes(amount),
          encryption.publicKey,
        );
        const ciphertext = hexlify(ct) as Hex;
        const receipt = await (await auction.getFunction("submitBid")(ciphertext)).wait();
        const placed = receipt.logs
          .map((l: { topics: string[]; data: string }) => auction.interface.parseLog(l))
          .find((e: { name: string } | null) => e?.name === "BidPlaced");
        return { auction, bidId: placed.args.bidId as bigint, ciphertext, amount };
      },
      (r) => `bid ${r.bidId} (${(r.ciphertext.length - 2) / 2} bytes of TDH2 ciphertext)`,
    );
    await step(
      "close the bidding and request the reveal",
      async () => {
        await chain.send("evm_increaseTime", [61]);
        await chain.send("evm_mine", []);
        return (await auction.getFunction("requestReveal")(bidId)).wait();
      },
      () => `revealAllowed(${bidId}) now holds on-chain`,
    );
    const plaintext = await step(
      "threshold-decrypt the bid (members check the contract's policy)",
      async () => {
        const pt = await client.decrypt(encryption.keyId, ciphertext, "tdh2", {
          contract: await auction.getAddress(),
          id: bidId,
        });
        if (pt !== amount) throw new ShardlessPluginError("VERIFICATION", "decrypted the wrong plaintext");
        return pt;
      },
      () => "bid amount 42",
    );
    await step(
      "post the reveal on-chain with a group signature",
      async () => {
        const digest = (await auction.getFunction("revealDigest")(bidId, keccak256(plaintext))) as Hex;
        const signed = await client.sign(ecdsa.keyId, { kind: "digest", digest });
        if (recoverAddress(digest, signed.signature) !== ecdsa.address) {
          throw new ShardlessPluginError(
            "VERIFICATION",
            "the reveal signature does not recover to the group",
          );
        }
        await (await auction.getFunction("revealPayload")(bidId, plaintext, signed.signature)).wait();
        const bid = await auction.getFunction("bid")(bidId);
        if (bid.amount !== 42n)
          throw new ShardlessPluginError("CHAIN", "the contract did not record the revealed bid");
        return bid;
      },
      () => "the auction verified the group signature and recorded amount 42",
    );
    const refreshed = await step(
      "refresh the ecdsa key's shares",
      () => client.refresh(ecdsa.keyId),
      (k) => `epoch ${k.epoch}, same address ${k.address}`,
    );
    if (refreshed.address !== ecdsa.address) {
      throw new ShardlessPluginError("VERIFICATION", "the refresh changed the group address");
    }
    await step(
      "send again after the refresh (same address)",
      send,
      (r) => `${r.hash} in block ${r.blockNumber}`,
    );
  } catch (err) {
    if (steps.length === 0 || steps.at(-1)!.ok) {
      // A failure outside a step (should not happen): record it so the summary shows it.
      steps.push({
        step: "demo",
        ok: false,
        ms: 0,
        error: { code: "ERROR", message: (err as Error).message },
      });
    }
  } finally {
    provider?.destroy();
    if (dn) {
      ctx.out.progress("Stopping the devnet...");
      await dn.stop();
    }
  }

  const summary: DemoSummary = { ok: steps.every((s) => s.ok), steps };
  ctx.out.result(summary, () => [
    "Shardless demo:",
    ...steps.map(
      (s) =>
        `  ${s.ok ? "ok  " : "FAIL"} ${s.step} (${(s.ms / 1000).toFixed(1)} s)` +
        (s.ok ? (s.detail ? `: ${s.detail}` : "") : `: [${s.error!.code}] ${s.error!.message}`),
    ),
    summary.ok
      ? "All steps passed; the devnet is stopped."
      : "The demo stopped at the failed step; the devnet is stopped.",
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
  return `key ${k.keyId}: quorum ${k.quorum}, ${k.colludersToSteal} colluders to steal, ${k.address ?? k.publicKey}`;
}

export default async (args: DemoArgs, hre: HardhatRuntimeEnvironment) => {
  const { startDevnet } = await import("../../../scripts/devnet/devnet.js");
  return demo(args, {
    ...taskContext(hre, args.json),
    startDevnet,
    readArtifact: (name) => hre.artifacts.readArtifact(name),
  });
};
