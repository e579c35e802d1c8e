/**
 * The Hardhat tasks end to end (issue 9): a fresh Hardhat runtime with the plugin runs `shardless <verb>`
 * tasks against a devnet of real member processes (started by the `devnet` task's function with the real
 * startDevnet, on fixed ports from `shardless.devnet`, with a policy book from `devnet.policyFile`):
 * deploy → keygen → send (the group calls a contract that checks msg.sender) → encrypt a sealed bid →
 * decrypt after the deadline → approve a raw-digest signature for the on-chain reveal → refresh → send
 * again from the same address at registry epoch 1.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  AbiCoder,
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Wallet,
  keccak256,
  parseEther,
  recoverAddress,
  type InterfaceAbi,
} from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { RegistryClient } from "../../node/adapters/chain/registry-client.js";
import type { ShardlessClient } from "../../node/client/api-client.js";
import type { KeyStatus } from "../../node/client/types.js";
import { devnet, type DevnetSummary } from "../../plugin/internal/tasks/devnet.js";
import type { TaskOutput } from "../../plugin/internal/output.js";
import { assertPortFree, startDevnet, type DevnetMember } from "../../scripts/devnet/devnet.js";
import { advanceTime, waitForMesh, waitUntil } from "../helpers/e2e-devnet.js";
import { HARDHAT_ACCOUNT_0, PROJECT_ROOT, captured, pluginHre } from "../helpers/api-plugin.js";

const isCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;
const approver = Wallet.createRandom();
const bidAmount = AbiCoder.defaultAbiCoder().encode(["uint256"], [42n]);

/** Transactions sign freely; a raw digest (e.g. a reveal signature) needs one approver's sign-off. */
const policy = {
  version: 1,
  approverSets: { reviewers: [approver.address] },
  keys: {},
  groups: {
    "1": {
      rules: [
        { name: "transactions", match: { kinds: ["transaction"] }, action: "allow" },
        {
          name: "raw digests",
          match: { kinds: ["digest"] },
          action: "allow",
          requiredApprovals: 1,
          approvers: "reviewers",
        },
      ],
    },
  },
};

/** A base port with `size` consecutive free loopback ports (the "fixed" ports the config names). */
async function freePortBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768+): no outgoing connection elsewhere can take these meanwhile.
    const base = randomInt(20_000, 32_000);
    try {
      for (let p = base; p < base + size; p++) await assertPortFree(p, "test");
      return base;
    } catch {
      // taken: try another block
    }
  }
  throw new Error("no block of free ports found");
}

async function artifact(source: string, name: string): Promise<{ abi: InterfaceAbi; bytecode: string }> {
  const file = path.join(PROJECT_ROOT, "artifacts", "contracts", source, `${name}.json`);
  return JSON.parse(await readFile(file, "utf8"));
}

describe("plugin tasks e2e: a Hardhat runtime drives 3 member processes (degree 1)", () => {
  let dir: string;
  let hre: HardhatRuntimeEnvironment;
  let running: Promise<DevnetSummary>;
  // Resolving it stops the devnet task, even if it is still starting when a setup step fails.
  let stopDevnet!: () => void;
  const stopped = new Promise<void>((resolve) => (stopDevnet = resolve));
  let summary: DevnetSummary;
  let clients: ShardlessClient[];
  let provider: JsonRpcProvider;
  let funder: Wallet;
  let ports: { chain: number; api: number; p2p: number };
  let ecdsa: KeyStatus;
  let encryption: KeyStatus;
  let counter: Contract;
  let auction: Contract;
  let bidId: bigint;
  let ciphertext: string;

  const run = async (verb: string[], args: Record<string, unknown>) =>
    captured(() => hre.tasks.getTask(["shardless", ...verb]).run(args));
  const runJson = async (verb: string[], args: Record<string, unknown>) =>
    (await run(verb, { ...args, json: true })).out.json();

  /** `send` calls GroupCounter.bump() from the group address; the counter then reads `expected`. */
  const bumpAsGroup = async (expected: bigint) => {
    const sent = await runJson(["send"], {
      key: ecdsa.keyId,
      to: await counter.getAddress(),
      data: counter.interface.encodeFunctionData("bump"),
    });
    assert.equal(sent.status, 1);
    assert.equal(sent.from, ecdsa.address);
    assert.equal(await counter.getFunction("count")(), expected);
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "shardless-plugin-e2e-"));
    const base = await freePortBlock(7);
    ports = { chain: base, api: base + 1, p2p: base + 4 };
    const policyFile = path.join(dir, "policy.json");
    await writeFile(policyFile, JSON.stringify(policy));
    hre = await pluginHre(
      {
        devnet: {
          dataDir: path.join(dir, "devnet"),
          members: 3,
          degree: 1,
          chainPort: ports.chain,
          apiBasePort: ports.api,
          p2pBasePort: ports.p2p,
          policyFile,
        },
      },
      {
        networks: {
          // Fixed ports: the network can be configured before the devnet exists.
          devnet: {
            type: "http",
            url: `http://127.0.0.1:${ports.chain}`,
            accounts: [HARDHAT_ACCOUNT_0, approver.privateKey],
          },
        },
      },
      { network: "devnet" },
    );
    let result: unknown;
    const out: TaskOutput = { json: true, result: (v) => void (result = v), progress: () => {} };
    running = devnet(
      { members: 0, keep: false, json: true },
      {
        config: hre.config.shardless,
        out,
        startDevnet,
        untilStopped: () => stopped,
      },
    );
    // The task's summary, or its failure to start (it only returns once stopped).
    let settled = false;
    const returned = running.finally(() => (settled = true));
    returned.catch(() => {}); // observed below when it matters; after() awaits the task itself
    await waitUntil(() => result !== undefined || settled, "the devnet task's summary", 90_000);
    if (result === undefined) await returned; // throws the DEVNET error
    summary = result as DevnetSummary;
    clients = await Promise.all(summary.members.map((m) => hre.shardless.client(m.name)));
    await waitForMesh(clients, 3);
    provider = new JsonRpcProvider(summary.rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 100,
      cacheTimeout: -1,
    });
    funder = new Wallet(HARDHAT_ACCOUNT_0, provider);
  });

  after(async () => {
    provider?.destroy();
    stopDevnet();
    await running?.catch(() => {});
    if (process.env.SHARDLESS_E2E_KEEP) console.error(`devnet kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  it("devnet: the chain, the member APIs and libp2p listen on the configured ports", async () => {
    assert.equal(summary.rpcUrl, `http://127.0.0.1:${ports.chain}`);
    assert.deepEqual(
      summary.members.map((m) => m.apiUrl),
      [1, 2, 3].map((i) => `http://127.0.0.1:${ports.api + i - 1}`),
    );
    const info = JSON.parse(await readFile(summary.infoFile, "utf8")) as { members: DevnetMember[] };
    assert.deepEqual(
      info.members.map((m) => m.p2pPort),
      [1, 2, 3].map((i) => ports.p2p + i - 1),
    );
    // The members are really bound there (and found each other through these addresses).
    for (const port of [ports.chain, ...[0, 1, 2].flatMap((i) => [ports.api + i, ports.p2p + i])]) {
      await assert.rejects(assertPortFree(port, "probe"), `port ${port} is in use`);
    }
    // A second devnet on the same ports fails before touching anything (its directory stays).
    await assert.rejects(
      startDevnet({ dir: path.join(dir, "devnet"), members: 3, ports: { rpc: ports.chain } }),
      /port \d+ \(chain RPC\) is not available/,
    );
    assert.ok((await readFile(summary.infoFile, "utf8")).length > 0);
  });

  it("deploy: a registry lands on the devnet chain (--json)", async () => {
    // The members follow the registry the devnet deployed and registered them in, so `deploy` is checked
    // on the same chain as a deployment of its own; the rest of the flow uses the devnet's registry.
    const deployed = await runJson(["deploy"], {});
    assert.equal(deployed.network, "devnet");
    assert.equal(deployed.chainId, String(summary.chainId));
    assert.equal(deployed.deployer, funder.address);
    assert.notEqual(deployed.address, summary.registry);
    assert.notEqual(await provider.getCode(deployed.address), "0x");
    const registry = new RegistryClient(deployed.address, provider);
    assert.equal(await registry.groupCount(), 0n, "a fresh registry: no groups yet");
  });

  it("keygen: an ecdsa and an encryption key through the tasks", async () => {
    ecdsa = await runJson(["keygen"], { scheme: "ecdsa", degree: 1 });
    assert.equal(ecdsa.scheme, "ecdsa");
    assert.equal(ecdsa.quorum, 3);
    assert.equal(ecdsa.colludersToSteal, 2);
    assert.match(ecdsa.address!, /^0x[0-9a-fA-F]{40}$/);
    encryption = await runJson(["keygen"], { scheme: "encryption", degree: 1 });
    assert.equal(encryption.scheme, "encryption");
    const status = await run(["status"], {});
    assert.match(status.out.stdout.join("\n"), /peers online: 2\/2/);
  });

  it("send: the group address calls a contract that only the group may call", async () => {
    const { abi, bytecode } = await artifact("examples/GroupCounter.sol", "GroupCounter");
    counter = (await (
      await new ContractFactory(abi, bytecode, funder).deploy(ecdsa.address)
    ).waitForDeployment()) as Contract;
    await (await funder.sendTransaction({ to: ecdsa.address, value: parseEther("1") })).wait();
    await assert.rejects(counter.getFunction("bump").staticCall(), (e: { revert?: { name: string } }) => {
      return e.revert?.name === "GroupCounterUnauthorized";
    });
    await bumpAsGroup(1n);
  });

  it("encrypt a sealed bid for the auction; decrypt is refused before the deadline and works after it", async () => {
    const { abi, bytecode } = await artifact("examples/SealedBidAuction.sol", "SealedBidAuction");
    const now = (await provider.getBlock("latest"))!.timestamp;
    const authority = { scheme: 0, signer: ecdsa.address, px: 0 }; // reveals signed by the group's ecdsa key
    auction = (await (
      await new ContractFactory(abi, bytecode, funder).deploy(authority, now + 60, now + 3600)
    ).waitForDeployment()) as Contract;
    const topic = (await auction.getFunction("bidTopic")(funder.address)) as string;
    const encrypted = await runJson(["encrypt"], {
      key: encryption.keyId,
      contract: await auction.getAddress(),
      topic,
      hex: bidAmount,
    });
    assert.equal(encrypted.chainId, String(summary.chainId));
    ciphertext = encrypted.ciphertext;
    const receipt = await (await auction.getFunction("submitBid")(ciphertext)).wait();
    const placed = receipt.logs
      .map((l: { topics: string[]; data: string }) => auction.interface.parseLog(l))
      .find((e: { name: string } | null) => e?.name === "BidPlaced");
    bidId = placed.args.bidId as bigint;

    const args = { key: encryption.keyId, ciphertext, payloadId: bidId.toString() };
    // Refused with no plaintext, as POLICY whether the members declined before the session or refused in it.
    await assert.rejects(run(["decrypt"], args), isCode("POLICY"));
    await advanceTime(summary.rpcUrl, 61);
    await (await auction.getFunction("requestReveal")(bidId)).wait();
    const decrypted = await runJson(["decrypt"], args);
    assert.equal(decrypted.plaintext, bidAmount);
  });

  it("approve: the reveal signature (a raw digest) is refused until an approver signs off", async () => {
    const digest = (await auction.getFunction("revealDigest")(bidId, keccak256(bidAmount))) as string;
    const requestId = "reveal-bid-1";
    const file = path.join(dir, "approvals.json");
    const signArgs = { key: ecdsa.keyId, digest, requestId };
    await assert.rejects(
      run(["sign"], signArgs),
      (e: Error) =>
        isCode("POLICY")(e) && e.message.includes(`approve --key ${ecdsa.keyId} --request-id ${requestId}`),
    );

    // The network's first account is not in the policy's approver set: its approval does not count.
    const outsider = path.join(dir, "outsider.json");
    await runJson(["approve"], { ...signArgs, out: outsider });
    await assert.rejects(run(["sign"], { ...signArgs, approvals: outsider }), isCode("POLICY"));

    const human = await run(["approve"], { ...signArgs, approver: approver.address, out: file });
    assert.match(
      human.out.stdout.join("\n"),
      new RegExp(`Approved request ${requestId} .* as ${approver.address}`),
    );
    assert.match(human.out.stdout.join("\n"), /Added to .*approvals\.json \(1 approval\)/);
    const approved = await runJson(["approve"], { ...signArgs, approver: approver.address, out: file });
    assert.equal(approved.approvals, 1, "the same approver is counted once");
    assert.equal(approved.digest, digest.toLowerCase());

    const signed = await runJson(["sign"], { key: ecdsa.keyId, digest, approvals: file });
    assert.equal(signed.verifiedLocally, true);
    assert.equal(recoverAddress(digest, signed.signature), ecdsa.address);
    await (await auction.getFunction("revealPayload")(bidId, bidAmount, signed.signature)).wait();
    assert.equal((await auction.getFunction("bid")(bidId)).amount, 42n, "the auction accepted the reveal");
  });

  it("refresh: registry epoch 1, same address; the group still sends from it", async () => {
    const refreshed = await runJson(["refresh"], { key: ecdsa.keyId });
    assert.equal(refreshed.epoch, 1);
    assert.equal(refreshed.address, ecdsa.address);
    assert.equal(await new RegistryClient(summary.registry, provider).currentEpoch(BigInt(ecdsa.keyId)), 1n);
    for (const client of clients) {
      await waitUntil(async () => (await client.key(ecdsa.keyId)).epoch === 1, "every member at epoch 1");
    }
    await bumpAsGroup(2n);
  });
});
