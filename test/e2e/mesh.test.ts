/**
 * Multi-process end-to-end test (issue 4, "Main job and tests"): Hardhat's JSON-RPC node, the registry and
 * five real `shardless-node` processes (t = 1) talking libp2p over TCP on loopback, driven only through
 * their HTTP APIs and the chain. Keygen, signing, threshold decryption of a sealed bid, a member killed
 * mid-run and restarted, an unlisted libp2p peer, and hostile API requests.
 *
 * One devnet serves the whole file: the tests run in order and build on each other (keys, then bids).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { generateKeyPair } from "@libp2p/crypto/keys";
import {
  NonceManager,
  Wallet,
  getBytes,
  isAddress,
  keccak256,
  parseEther,
  recoverAddress,
  type Contract,
  type Signer,
} from "ethers";
import { ShardlessApiError, newRequestId, type ShardlessClient } from "../../node/client/api-client.js";
import { encryptForContract } from "../../node/client/encryption.js";
import { GroupSigner } from "../../node/client/signer.js";
import type { Hex, KeyStatus } from "../../node/client/types.js";
import { RegistryClient } from "../../node/adapters/chain/registry-client.js";
import { PeerUnreachableError, createLibp2pTransport } from "../../node/adapters/libp2p/index.js";
import { hexToBytes } from "../../node/crypto/hash.js";
import { decodePoint, ecdsaVerify, schnorrVerify } from "../../node/crypto/secp256k1.js";
import { encodeSchnorrForContract } from "../../node/protocols/frost/index.js";
import {
  advanceTime,
  bidPlaintext,
  deploySealedBidAuction,
  errorCode,
  onlineIds,
  rawApi,
  startE2eDevnet,
  waitForOnline,
  waitUntil,
  type E2eDevnet,
} from "../helpers/e2e-devnet.js";

const MEMBERS = 5;
const DEGREE = 1;
/** Codes a request racing a killed member may fail with (typed, nothing released); a retry must succeed. */
const RACE_CODES = new Set(["UNAVAILABLE", "TIMEOUT", "PROTOCOL_ABORT"]);
const BIDDING_SECONDS = 3_600;
const REVEAL_SECONDS = 7_200;

let net: E2eDevnet;
let clients: ShardlessClient[];
let groupId: string;
let schnorrKey: KeyStatus;
let encryptionKey: KeyStatus;

const member = (id: number) => net.devnet.members[id - 1];
const client = (id: number) => clients[id - 1];
const randomDigest = () => `0x${randomBytes(32).toString("hex")}` as Hex;

/** Signs `digest` with the schnorr key through member `via` and checks it against the group key. */
async function signAndVerify(via: number, digest: Hex, requestId = newRequestId()): Promise<Hex> {
  const result = await client(via).sign(schnorrKey.keyId, { kind: "digest", digest, requestId });
  assert.equal(result.digest, digest);
  assert.ok(
    schnorrVerify(hexToBytes(result.signature.slice(2)), hexToBytes(digest.slice(2)), xOnly()),
    `signature through member ${via} verifies against the group key`,
  );
  return result.signature;
}

/** Threshold decryption of a stored bid through member `via`'s API (TDH2, policy read on-chain). */
const decryptBid = (via: number, bid: { ciphertext: Hex; id: bigint }, contract: string) =>
  client(via).decrypt(encryptionKey.keyId, bid.ciphertext, "tdh2", { contract, id: bid.id });

const isPolicyRefusal = (e: unknown) =>
  e instanceof ShardlessApiError && e.code === "POLICY" && e.status === 403;

const xOnly = () => hexToBytes(schnorrKey.xOnlyPublicKey!.slice(2));

before(async () => {
  net = await startE2eDevnet(MEMBERS, { prefix: "shardless-e2e-mesh-" });
  clients = net.clients;
  groupId = net.devnet.groupId;
});

after(async () => {
  await net?.stop();
});

describe("mesh e2e: 5 member processes, t = 1", { timeout: 300_000 }, () => {
  it("generates a schnorr and an encryption key through the API; every member holds the same key", async () => {
    schnorrKey = await client(1).keygen(groupId, "schnorr", DEGREE);
    // Through another member: it waits for the lowest-id member to publish the key in the registry.
    encryptionKey = await client(3).keygen(groupId, "encryption", DEGREE);
    const registry = new RegistryClient(net.devnet.registry, net.devnet.funder());
    for (const key of [schnorrKey, encryptionKey]) {
      assert.equal(key.degree, DEGREE);
      assert.equal(key.quorum, DEGREE + 1);
      assert.equal(key.colludersToSteal, DEGREE + 1);
      assert.equal(key.epoch, 0);
      assert.equal(key.status, "active");
      for (const c of clients) {
        const seen = await c.key(key.keyId);
        assert.equal(seen.publicKey, key.publicKey, "every member derived the same public key");
        assert.equal(seen.scheme, key.scheme);
      }
      const onChain = await registry.getKey(BigInt(key.keyId));
      assert.equal(onChain.status, "active");
      assert.equal(onChain.scheme, key.scheme);
      // The registry records a schnorr key in its BIP-340 form (even y), other keys as they are.
      const recorded = key.scheme === "schnorr" ? `0x02${key.xOnlyPublicKey!.slice(2)}` : key.publicKey;
      assert.equal(onChain.publicKey?.toLowerCase(), recorded.toLowerCase());
    }
    assert.notEqual(schnorrKey.publicKey, encryptionKey.publicKey, "one secret per key");
  });

  it("signs through every member's API; each BIP-340 signature verifies against the group key", async () => {
    const digest = randomDigest();
    const signatures = [];
    for (let id = 1; id <= MEMBERS; id++) signatures.push(await signAndVerify(id, digest));
    // The check can fail: the same signature does not verify for another digest.
    assert.equal(schnorrVerify(hexToBytes(signatures[0].slice(2)), getBytes(randomDigest()), xOnly()), false);
  });

  it("a retried sign returns the first signature; the same requestId with another body is a CONFLICT", async () => {
    const requestId = newRequestId();
    const digest = randomDigest();
    const first = await signAndVerify(2, digest, requestId);
    // FROST nonces are fresh per signature, so an equal answer means no second signature was made.
    assert.equal(await signAndVerify(2, digest, requestId), first);
    await assert.rejects(
      client(2).sign(schnorrKey.keyId, { kind: "digest", digest: randomDigest(), requestId }),
      (e: unknown) => e instanceof ShardlessApiError && e.code === "CONFLICT" && e.status === 409,
    );
  });

  describe("threshold decryption of a sealed bid (SealedBidAuction on the devnet chain)", () => {
    let auction: Contract;
    let bids: { bidder: string; amount: bigint; id: bigint; ciphertext: Hex }[] = [];

    it("decrypts a bid only once the contract allows its reveal (403 POLICY before)", async () => {
      // One nonce tracker for the dev account: ethers may answer a repeated nonce read from its cache.
      const funder = new NonceManager(net.devnet.funder());
      auction = await deploySealedBidAuction(
        funder,
        net.devnet.rpcUrl,
        schnorrKey.xOnlyPublicKey!,
        BIDDING_SECONDS,
        REVEAL_SECONDS,
      );
      const contract = await auction.getAddress();
      // Two bidders: the funded dev account and a fresh wallet it funds.
      const second = Wallet.createRandom().connect(funder.provider);
      await (await funder.sendTransaction({ to: second.address, value: parseEther("1") })).wait();
      bids = [];
      for (const [bidder, amount] of [
        [funder, 100n],
        [second, 250n],
      ] as [Signer, bigint][]) {
        const topic = (await auction.bidTopic(await bidder.getAddress())) as string;
        const ciphertext = encryptForContract(
          { chainId: BigInt(net.devnet.chainId), contract, topic },
          getBytes(bidPlaintext(amount)),
          encryptionKey.publicKey,
        );
        await (await (auction.connect(bidder) as Contract).submitBid(ciphertext)).wait();
        const id = (await auction.payloadCount()) as bigint;
        bids.push({
          bidder: await bidder.getAddress(),
          amount,
          id,
          ciphertext: `0x${Buffer.from(ciphertext).toString("hex")}` as Hex,
        });
      }
      const [first] = bids;

      // Bidding still open: the contract does not allow a reveal, so no member releases a share.
      await assert.rejects(decryptBid(2, first, contract), isPolicyRefusal);

      // Past the bidding deadline, the reveal of the first bid is requested by the contract's rules.
      await advanceTime(net.devnet.rpcUrl, BIDDING_SECONDS + 1);
      await (await auction.requestReveal(first.id)).wait();
      assert.equal(await decryptBid(2, first, contract), bidPlaintext(first.amount));

      // The second bid's reveal was not requested: still refused.
      await assert.rejects(decryptBid(4, bids[1], contract), isPolicyRefusal);
      // A bid presented under another bid's payload id (copied ciphertext): refused, never decrypted.
      await assert.rejects(decryptBid(4, { ...bids[1], id: first.id }, contract), isPolicyRefusal);
      await (await auction.requestReveal(bids[1].id)).wait();
    });

    it("refuses, with a typed error, to decrypt for a payload id the contract does not hold", async () => {
      // payloadLabel(999) reverts (ConfidentialPayloadsUnknownPayload): a typed refusal, never INTERNAL (§4.8).
      const unknown = { ...bids[0], id: 999n };
      await assert.rejects(decryptBid(3, unknown, await auction.getAddress()), isPolicyRefusal);
    });

    it("posts the revealed bid on-chain with the group's schnorr signature", async () => {
      const [first] = bids;
      const plaintext = bidPlaintext(first.amount);
      const digest = (await auction.revealDigest(first.id, keccak256(plaintext))) as Hex;
      const signature = await signAndVerify(5, digest);
      const encoded = encodeSchnorrForContract(hexToBytes(signature.slice(2)));
      await (await auction.revealPayload(first.id, plaintext, encoded)).wait();
      const stored = (await auction.bid(first.id)) as { revealed: boolean; valid: boolean; amount: bigint };
      assert.equal(stored.revealed, true);
      assert.equal(stored.valid, true);
      assert.equal(stored.amount, first.amount);
    });

    describe("member 1 killed mid-run, then restarted", () => {
      const VICTIM = 1;
      const SURVIVORS = [2, 3, 4, 5];

      it("requests through the others still succeed; one racing the kill succeeds (the node retries) or fails typed", async () => {
        interface Attempt {
          via: number;
          started: number;
          ended: number;
          code?: string;
        }
        const attempts: Attempt[] = [];
        let killSent = 0;
        let killObserved = 0;
        let allSawOffline = 0;
        let stopping = false;
        const successesAfterOffline = new Map<number, number>(SURVIVORS.map((id) => [id, 0]));

        /** One digest per request; on a typed failure the same digest is retried with a new requestId. */
        const loop = async (via: number) => {
          while (!stopping) {
            const digest = randomDigest();
            for (let attempt = 0; ; attempt++) {
              const a: Attempt = { via, started: performance.now(), ended: 0 };
              attempts.push(a);
              try {
                await signAndVerify(via, digest);
                a.ended = performance.now();
                if (allSawOffline && a.started > allSawOffline)
                  successesAfterOffline.set(via, successesAfterOffline.get(via)! + 1);
                break;
              } catch (e) {
                a.ended = performance.now();
                a.code = e instanceof ShardlessApiError ? e.code : `untyped: ${String(e)}`;
                if (!(e instanceof ShardlessApiError) || attempt >= 2) throw e;
              }
            }
          }
        };
        const pause = () => new Promise((r) => setTimeout(r, 20));
        const loops = SURVIVORS.map(loop);
        const watcher = async () => {
          // Requests are flowing through every survivor before the kill.
          while (
            !stopping &&
            SURVIVORS.some((id) => !attempts.some((a) => a.via === id && a.ended > 0 && !a.code))
          )
            await pause();
          if (stopping) return;
          killSent = performance.now();
          await net.devnet.stopMember(VICTIM, { kill: true });
          killObserved = performance.now();
          await waitForOnline(SURVIVORS.map(client), groupId, SURVIVORS);
          allSawOffline = performance.now();
          // Each survivor serves fresh requests with the victim gone.
          while (!stopping && [...successesAfterOffline.values()].some((n) => n < 2)) await pause();
        };
        try {
          // A loop only settles early by failing (three tries exhausted): that ends the test.
          await Promise.race([watcher(), ...loops]);
        } finally {
          stopping = true;
          await Promise.allSettled(loops);
        }
        await Promise.all(loops); // rethrows a loop's failure

        const raced = attempts.filter((a) => a.started < killSent && a.ended > killObserved);
        assert.ok(raced.length > 0, "at least one request was in flight when the member was killed");
        const failures = attempts.filter((a) => a.code !== undefined);
        for (const f of failures) assert.ok(RACE_CODES.has(f.code!), `typed race failure, got ${f.code}`);
        // Failures only around the kill: everything started once the survivors saw it gone succeeded.
        const late = attempts.filter((a) => a.started > allSawOffline);
        assert.ok(late.length >= 2 * SURVIVORS.length);
        assert.deepEqual(
          late.filter((a) => a.code !== undefined),
          [],
          "no failures once the victim is known offline",
        );
        for (const id of SURVIVORS)
          assert.deepEqual(await onlineIds(client(id), groupId), SURVIVORS, `member ${id}'s view`);
      });

      it("decrypts through a survivor while the member is down", async () => {
        const second = bids[1];
        assert.equal(await decryptBid(3, second, await auction.getAddress()), bidPlaintext(second.amount));
      });

      it("restarted, it rejoins the mesh and serves again with its stored shares", async () => {
        await net.devnet.startMember(VICTIM);
        await waitForOnline(clients, groupId, [1, 2, 3, 4, 5]);
        const status = await client(VICTIM).status();
        assert.equal(status.peerId, member(VICTIM).peerId, "same libp2p identity");
        assert.ok(status.peers.every((p) => p.connected));
        const held = await client(VICTIM).key(schnorrKey.keyId);
        assert.equal(held.publicKey, schnorrKey.publicKey);
        assert.equal(held.epoch, 0);
        // As coordinator: its own stored share goes into the signature, which verifies for the group key.
        await signAndVerify(VICTIM, randomDigest());
        // As decryption combiner, with its stored encryption share.
        const second = bids[1];
        const contract = await auction.getAddress();
        assert.equal(await decryptBid(VICTIM, second, contract), bidPlaintext(second.amount));
      });
    });

    it("the auction completes on-chain: the higher bid wins once both reveals are posted", async () => {
      const second = bids[1];
      const plaintext = bidPlaintext(second.amount);
      const digest = (await auction.revealDigest(second.id, keccak256(plaintext))) as Hex;
      const signature = await signAndVerify(1, digest);
      await (
        await auction.revealPayload(second.id, plaintext, encodeSchnorrForContract(getBytes(signature)))
      ).wait();
      await (await auction.finalize()).wait();
      const [winner, amount, bidId, finalized] = (await auction.leader()) as [
        string,
        bigint,
        bigint,
        boolean,
      ];
      assert.equal(winner, second.bidder);
      assert.equal(amount, second.amount);
      assert.equal(bidId, second.id);
      assert.equal(finalized, true);
    });
  });

  it("refuses a libp2p peer the registry does not list: its frames are never delivered", async () => {
    const target = member(3);
    const deniedBefore = await deniedInbound(target);
    const stranger = await createLibp2pTransport({ privateKey: await generateKeyPair("Ed25519") });
    try {
      await stranger.setPeers([
        { peerId: target.peerId, multiaddrs: [`/ip4/127.0.0.1/tcp/${target.p2pPort}/p2p/${target.peerId}`] },
      ]);
      await assert.rejects(stranger.send(target.peerId, randomBytes(64)), PeerUnreachableError);
      assert.deepEqual(stranger.connectedPeers(), []);
    } finally {
      await stranger.stop();
    }
    assert.ok((await deniedInbound(target)) > deniedBefore, "the member's gater refused the connection");
    const status = await client(3).status();
    assert.ok(!status.peers.some((p) => p.peerId === stranger.self), "the stranger is no peer of the member");
    await signAndVerify(3, randomDigest());
  });

  it("refuses a wrong or missing API token with 401 UNAUTHORIZED", async () => {
    const m = member(2);
    const wrong = `${m.token.slice(0, -1)}${m.token.endsWith("0") ? "1" : "0"}`;
    const body = JSON.stringify({ requestId: newRequestId(), kind: "digest", digest: randomDigest() });
    for (const r of [
      await rawApi(m.apiUrl, "GET", "/v1/status", { token: wrong }),
      await rawApi(m.apiUrl, "GET", "/v1/status"),
      await rawApi(m.apiUrl, "POST", `/v1/keys/${schnorrKey.keyId}/sign`, { token: wrong, body }),
      await rawApi(m.apiUrl, "POST", `/v1/keys/${schnorrKey.keyId}/sign`, {
        body,
        headers: { authorization: `Basic ${m.token}` },
      }),
    ]) {
      assert.equal(r.status, 401);
      assert.equal(errorCode(r), "UNAUTHORIZED");
    }
    // Another member's (valid) token is still the wrong token here.
    const foreign = await rawApi(m.apiUrl, "GET", "/v1/status", { token: member(3).token });
    assert.equal(foreign.status, 401);
  });

  it("answers malformed API bodies with 400 BAD_REQUEST and stays up", async () => {
    const m = member(4);
    const sign = `/v1/keys/${schnorrKey.keyId}/sign`;
    const cases: { route: string; body: string; field?: string }[] = [
      { route: sign, body: "{not json" },
      { route: sign, body: "[1,2,3]" },
      {
        route: sign,
        body: JSON.stringify({ requestId: newRequestId(), kind: "digest", digest: "0x1234" }),
        field: "digest",
      },
      {
        route: sign,
        body: JSON.stringify({ requestId: "bad id!", kind: "digest", digest: randomDigest() }),
        field: "requestId",
      },
      { route: sign, body: JSON.stringify({ requestId: newRequestId(), kind: "nonsense" }) },
      {
        route: sign,
        body: JSON.stringify({ requestId: newRequestId(), kind: "digest", digest: randomDigest(), extra: 1 }),
        field: "extra",
      },
      {
        route: `/v1/groups/${groupId}/keys`,
        body: JSON.stringify({ requestId: newRequestId(), scheme: "schnorr", degree: 0 }),
        field: "degree",
      },
      {
        route: `/v1/keys/${encryptionKey.keyId}/decrypt`,
        body: JSON.stringify({ requestId: newRequestId(), ciphertext: "0xzz", format: "tdh2" }),
        field: "ciphertext",
      },
      { route: sign, body: JSON.stringify({ requestId: newRequestId(), pad: "x".repeat(2 * 1024 * 1024) }) },
    ];
    for (const c of cases) {
      const r = await rawApi(m.apiUrl, "POST", c.route, { token: m.token, body: c.body });
      assert.equal(r.status, 400, `${c.body.slice(0, 60)} → ${JSON.stringify(r.json).slice(0, 200)}`);
      assert.equal(errorCode(r), "BAD_REQUEST");
      if (c.field) {
        const details = (r.json as { error: { details?: { field?: string } } }).error.details;
        assert.equal(details?.field, c.field);
      }
    }
    const health = await rawApi(m.apiUrl, "GET", "/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { ok: true, peerId: m.peerId });
    await signAndVerify(4, randomDigest());
  });
  describe("threshold ECDSA", () => {
    let ecdsaKey: KeyStatus;

    it("generates an ecdsa key and signs a digest; the signature recovers the group address", async () => {
      // Generated last: keygen needs every member online, and the earlier keys never depend on it.
      ecdsaKey = await client(2).keygen(groupId, "ecdsa", DEGREE);
      assert.equal(ecdsaKey.quorum, 2 * DEGREE + 1, "honest-majority ECDSA: 2t+1 sign together");
      assert.equal(ecdsaKey.colludersToSteal, DEGREE + 1);
      assert.ok(ecdsaKey.address && isAddress(ecdsaKey.address));
      for (const c of clients) assert.equal((await c.key(ecdsaKey.keyId)).address, ecdsaKey.address);
      // The pool warms once the key is published: a member that has signed nothing yet presigns already.
      await waitUntil(
        async () => ((await client(5).key(ecdsaKey.keyId)).presignatures ?? 0) > 0,
        "member 5's presignature pool warm before any signature",
        20_000,
      );
      for (const via of [1, 4]) {
        const digest = randomDigest();
        const sig = await client(via).sign(ecdsaKey.keyId, { kind: "digest", digest });
        assert.equal(sig.digest, digest);
        assert.equal(recoverAddress(digest, sig.signature), ecdsaKey.address);
        const pub = decodePoint(hexToBytes(ecdsaKey.publicKey.slice(2)));
        assert.ok(
          ecdsaVerify(BigInt(sig.r!), BigInt(sig.s!), hexToBytes(digest.slice(2)), pub),
          "low-s ECDSA",
        );
        assert.notEqual(recoverAddress(randomDigest(), sig.signature), ecdsaKey.address);
      }
    });

    it("sends an EIP-1559 transaction from the group address with GroupSigner; it is mined", async () => {
      const funder = new NonceManager(net.devnet.funder());
      const provider = funder.provider!;
      const group = ecdsaKey.address!;
      await (await funder.sendTransaction({ to: group, value: parseEther("2") })).wait();
      const recipient = Wallet.createRandom().address;
      const signer = new GroupSigner(client(3), ecdsaKey.keyId, provider);
      assert.equal(await signer.getAddress(), group);
      const sent = await signer.sendTransaction({ to: recipient, value: parseEther("0.25"), type: 2 });
      const receipt = await sent.wait();
      assert.equal(receipt?.status, 1);
      assert.equal(receipt?.from, group);
      const mined = await provider.getTransaction(sent.hash);
      assert.equal(mined?.type, 2);
      assert.equal(mined?.from, group);
      assert.equal(await provider.getBalance(recipient), parseEther("0.25"));
      assert.equal(await provider.getTransactionCount(group), 1);
    });

    it("a gracefully restarted coordinator signs with the presignatures it had: no presigning session after", async () => {
      const VIA = 4;
      const keyId = ecdsaKey.keyId;
      const poolSize = async () => (await client(VIA).key(keyId)).presignatures ?? 0;
      let before = -1;
      await waitUntil(
        async () => {
          const [a, b] = [await poolSize(), await new Promise((r) => setTimeout(r, 300)).then(poolSize)];
          before = b;
          return a === b && b > 0;
        },
        "member 4's pool settled",
        20_000,
      );
      await net.devnet.stopMember(VIA); // SIGTERM: a graceful stop
      await net.devnet.startMember(VIA);
      await waitForOnline(clients, groupId, [1, 2, 3, 4, 5]);
      await waitUntil(async () => (await poolSize()) === before, "member 4's pool restored", 20_000);
      const presignSessions = () => metric(member(VIA), 'shardless_sessions_total{protocol="ecdsa-presign"');
      assert.equal(await presignSessions(), 0, "restored, not presigned anew");
      const digest = randomDigest();
      const sig = await client(VIA).sign(keyId, { kind: "digest", digest });
      assert.equal(recoverAddress(digest, sig.signature), ecdsaKey.address);
      assert.equal(await poolSize(), before - 1, "the signature used a restored presignature");
      assert.equal(await presignSessions(), 0);
    });
  });
});

/** The sum of a member's /metrics series whose line starts with `series` (0 if none). */
async function metric(m: { apiUrl: string }, series: string): Promise<number> {
  const text = (await (await fetch(`${m.apiUrl}/metrics`)).text()).split("\n");
  return text.filter((l) => l.startsWith(series)).reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

/** `shardless_connections_denied_total{direction="inbound"}` of a member, from its /metrics. */
const deniedInbound = (m: { apiUrl: string }) =>
  metric(m, 'shardless_connections_denied_total{direction="inbound"}');
