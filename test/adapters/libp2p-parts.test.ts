/** Identity files, frame authentication, backoff and the length-prefixed frame decoder (no network). */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { chmod, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Ed25519PrivateKey } from "@libp2p/interface";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  Ed25519FrameAuthenticator,
  identityFrameAuthenticator,
  encodeLengthPrefixed,
  FrameRejectedError,
  LengthPrefixedFrameDecoder,
  loadOrCreateIdentity,
  peerIdOf,
  peerPublicKey,
  readIdentity,
  resolveBackoff,
  writeIdentity,
} from "../../node/adapters/libp2p/index.js";
import { seededRng } from "../../node/crypto/index.js";
import { DecodeError, ParameterError } from "../../node/protocol/errors.js";
import { tempDir } from "../helpers/net-mesh.js";

let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, remove: cleanup } = await tempDir());
});
after(() => cleanup());

describe("identity file", () => {
  it("persists across restarts: the same peer id, file mode 0600", async () => {
    const file = path.join(dir, "id1.key");
    const first = await loadOrCreateIdentity(file);
    const second = await loadOrCreateIdentity(file);
    assert.equal(peerIdOf(second), peerIdOf(first));
    assert.match(peerIdOf(first), /^12D3KooW/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it("never overwrites an existing identity", async () => {
    const file = path.join(dir, "id2.key");
    const key = await loadOrCreateIdentity(file);
    await assert.rejects(writeIdentity(file, await generateKeyPair("Ed25519")), { code: "EEXIST" });
    assert.equal(peerIdOf(await readIdentity(file)), peerIdOf(key));
  });

  it("refuses a corrupt file (DecodeError), a non-Ed25519 key, and a group-readable file", async () => {
    const bad = path.join(dir, "bad.key");
    await writeFile(bad, "not a key at all\n", { mode: 0o600 });
    await assert.rejects(readIdentity(bad), DecodeError);
    await writeFile(bad, Buffer.from([1, 2, 3]).toString("base64"), { mode: 0o600 });
    await assert.rejects(readIdentity(bad), DecodeError);
    const secp = path.join(dir, "secp.key");
    const { privateKeyToProtobuf } = await import("@libp2p/crypto/keys");
    const k = await generateKeyPair("secp256k1");
    await writeFile(secp, Buffer.from(privateKeyToProtobuf(k)).toString("base64"), { mode: 0o600 });
    await assert.rejects(readIdentity(secp), DecodeError);
    const open = path.join(dir, "open.key");
    await loadOrCreateIdentity(open);
    await chmod(open, 0o644);
    await assert.rejects(readIdentity(open), ParameterError);
    assert.ok((await readFile(open, "utf8")).length > 0);
  });

  it("peerPublicKey extracts the Ed25519 key inlined in a peer id", async () => {
    const key = await generateKeyPair("Ed25519");
    assert.deepEqual(peerPublicKey(peerIdOf(key)), key.publicKey.raw);
    assert.throws(() => peerPublicKey("garbage"), ParameterError);
    const { peerIdFromPrivateKey } = await import("@libp2p/peer-id");
    const secp = peerIdFromPrivateKey(await generateKeyPair("secp256k1")).toString();
    assert.throws(() => peerPublicKey(secp), ParameterError);
  });
});

const implementations = {
  "Ed25519FrameAuthenticator (node:crypto)": (k: Ed25519PrivateKey) =>
    new Ed25519FrameAuthenticator({ privateKey: k, maxCachedPeers: 2 }),
  "identityFrameAuthenticator (node/crypto/identity.ts)": (k: Ed25519PrivateKey) =>
    identityFrameAuthenticator(k),
};

for (const [name, make] of Object.entries(implementations)) {
  describe(name, () => {
    it("signs with the identity key; peers verify against the sender's peer id", async () => {
      const alice = await generateKeyPair("Ed25519");
      const bob = await generateKeyPair("Ed25519");
      const msg = new TextEncoder().encode("frame bytes");
      const sig = make(alice).sign(msg);
      assert.equal(sig.length, 64);
      assert.equal(make(bob).verify(peerIdOf(alice), msg, sig), true);
    });

    it("rejects forged sender, tampered bytes, malformed signature and garbage peer ids (never throws)", async () => {
      const alice = await generateKeyPair("Ed25519");
      const mallory = await generateKeyPair("Ed25519");
      const auth = make(mallory);
      const msg = Uint8Array.from([1, 2, 3]);
      const sig = make(alice).sign(msg);
      // impersonation: mallory's signature presented as alice's
      assert.equal(auth.verify(peerIdOf(alice), msg, auth.sign(msg)), false);
      assert.equal(auth.verify(peerIdOf(alice), Uint8Array.from([1, 2, 4]), sig), false);
      assert.equal(auth.verify(peerIdOf(alice), msg, sig.subarray(0, 63)), false);
      assert.equal(auth.verify(peerIdOf(alice), msg, new Uint8Array(64)), false);
      assert.equal(auth.verify("not a peer", msg, sig), false);
      assert.equal(auth.verify("", msg, sig), false);
      assert.equal(auth.verify(peerIdOf(alice), msg, sig), true, "still works after cache evictions");
    });
  });
}

describe("frame authenticators interoperate", () => {
  it("each verifies the other's signatures (same RFC 8032 bytes)", async () => {
    const key = await generateKeyPair("Ed25519");
    const fast = new Ed25519FrameAuthenticator({ privateKey: key });
    const noble = identityFrameAuthenticator(key);
    const msg = new Uint8Array(200).fill(9);
    assert.deepEqual(fast.sign(msg), noble.sign(msg), "Ed25519 is deterministic");
    assert.equal(noble.verify(peerIdOf(key), msg, fast.sign(msg)), true);
    assert.equal(fast.verify(peerIdOf(key), msg, noble.sign(msg)), true);
    assert.deepEqual(noble.publicKey, peerPublicKey(peerIdOf(key)));
  });
});

describe("reconnect backoff", () => {
  it("grows exponentially to the cap, with jitter inside the documented bounds", () => {
    const p = resolveBackoff();
    const rng = seededRng("backoff");
    for (let attempt = 0; attempt < 30; attempt++) {
      const base = Math.min(p.maxDelayMs, p.initialDelayMs * p.factor ** attempt);
      for (let k = 0; k < 20; k++) {
        const d = backoffDelay(attempt, p, rng);
        assert.ok(
          d >= Math.floor(base * (1 - p.jitter)) && d <= Math.ceil(base * (1 + p.jitter)),
          `${attempt}: ${d}`,
        );
      }
    }
    assert.ok(backoffDelay(1e9, p, rng) <= DEFAULT_BACKOFF.maxDelayMs * 1.2);
    // Jitter really varies the delay (members do not redial in lockstep).
    const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(3, p, rng)));
    assert.ok(spread.size > 5);
    assert.equal(backoffDelay(2, resolveBackoff({ jitter: 0 }), rng), 400);
  });

  it("rejects nonsensical policies", () => {
    assert.throws(() => resolveBackoff({ initialDelayMs: 0 }), ParameterError);
    assert.throws(() => resolveBackoff({ maxDelayMs: 10 }), ParameterError);
    assert.throws(() => resolveBackoff({ factor: 0.5 }), ParameterError);
    assert.throws(() => resolveBackoff({ jitter: 1 }), ParameterError);
  });
});

describe("length-prefixed frame decoder", () => {
  const frames = [
    Uint8Array.of(1),
    new Uint8Array(127).fill(2),
    new Uint8Array(128).fill(3),
    new Uint8Array(20_000),
  ];
  const wire = Buffer.concat(frames.map((f) => encodeLengthPrefixed(f)));

  it("reassembles frames from any chunking, including one byte at a time", () => {
    for (const size of [1, 2, 3, 7, 128, 129, 4096, wire.length]) {
      const d = new LengthPrefixedFrameDecoder();
      const out: Uint8Array[] = [];
      for (let i = 0; i < wire.length; i += size) out.push(...d.push(wire.subarray(i, i + size)));
      assert.deepEqual(out, frames, `chunk size ${size}`);
      assert.ok(d.idle);
    }
  });

  it("accepts Uint8ArrayList-style chunks (iterables of buffers)", () => {
    const d = new LengthPrefixedFrameDecoder();
    const parts = [wire.subarray(0, 5), wire.subarray(5, 300), wire.subarray(300)];
    assert.deepEqual(d.push(parts), frames);
  });

  it("enforces the cap before allocating: max accepted, max+1 rejected as oversized", () => {
    const d = new LengthPrefixedFrameDecoder(1000);
    assert.equal(d.push(encodeLengthPrefixed(new Uint8Array(1000), 1000))[0].length, 1000);
    const e = new LengthPrefixedFrameDecoder(1000);
    assert.throws(
      () => e.push(Uint8Array.of(0xe9, 0x07)),
      (err: unknown) => {
        return err instanceof FrameRejectedError && err instanceof DecodeError && err.reason === "oversized";
      },
    );
    // Poisoned: the stream cannot be resynchronised.
    assert.throws(() => e.push(Uint8Array.of(1, 1)), FrameRejectedError);
  });

  it("rejects empty frames, non-minimal and overlong length prefixes", () => {
    const reason = (bytes: number[]) => {
      try {
        new LengthPrefixedFrameDecoder().push(Uint8Array.from(bytes));
      } catch (err) {
        assert.ok(err instanceof FrameRejectedError);
        return err.reason;
      }
      return "accepted";
    };
    assert.equal(reason([0x00]), "empty");
    assert.equal(reason([0x81, 0x00]), "bad-length");
    assert.equal(reason([0xff, 0xff, 0xff, 0xff, 0x01]), "bad-length");
    assert.equal(reason([0xff, 0xff, 0xff, 0x7f]), "oversized");
    assert.equal(reason([0x81]), "accepted", "an incomplete prefix just waits for more bytes");
  });

  it("refuses to encode empty or oversized frames", () => {
    assert.throws(() => encodeLengthPrefixed(new Uint8Array(0)), ParameterError);
    assert.throws(() => encodeLengthPrefixed(new Uint8Array(11), 10), ParameterError);
  });
});
