import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { appendFile, open, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { ParameterError, VerificationError } from "../../node/protocol/errors.js";
import {
  AuditLog,
  AuditLogTamperedError,
  GENESIS_HASH,
  canonicalJson,
  entryHash,
  verifyAuditLog,
  type AuditEntry,
  type AuditProblem,
} from "../../node/policy/audit-log.js";

const dir = mkdtempSync(path.join(tmpdir(), "shardless-audit-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const freshFile = () => path.join(dir, `log-${++fileNo}`, "audit.jsonl");
const clock = { now: () => Date.UTC(2025, 0, 1) };

/** A log with `n` decision entries; returns its file and entries. */
async function logWith(n: number): Promise<{ file: string; entries: AuditEntry[] }> {
  const file = freshFile();
  const log = await AuditLog.open(file, { clock });
  const entries: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) {
    entries.push(
      await log.append("sign.policy", { requestId: `req-${i}`, allowed: i % 2 === 0, approvers: [] }),
    );
  }
  await log.close();
  return { file, entries };
}

const lines = async (file: string) => (await readFile(file, "utf8")).split("\n").slice(0, -1);
const writeLines = (file: string, ls: string[]) => writeFile(file, ls.map((l) => `${l}\n`).join(""));

async function expectBroken(file: string, problem: AuditProblem, firstBadSeq: number) {
  const r = await verifyAuditLog(file);
  assert.equal(r.ok, false, "tampering went unnoticed");
  if (r.ok) return;
  assert.equal(r.problem, problem);
  assert.equal(r.firstBadSeq, firstBadSeq);
  assert.equal(r.head.seq, firstBadSeq - 1, "the intact prefix ends just before the first bad entry");
  await assert.rejects(
    AuditLog.open(file),
    (e: unknown) =>
      e instanceof AuditLogTamperedError && e instanceof VerificationError && e.firstBadSeq === firstBadSeq,
  );
}

describe("audit log: chain", () => {
  it("chains entries: seq from 1, prevHash from genesis, hash = SHA-256(prevHash ‖ canonical JSON)", async () => {
    const { file, entries } = await logWith(3);
    assert.deepEqual(
      entries.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(entries[0].prevHash, GENESIS_HASH);
    assert.equal(entries[1].prevHash, entries[0].hash);
    assert.equal(entries[0].time, "2025-01-01T00:00:00.000Z");
    const written = await lines(file);
    for (const e of entries) {
      // The canonical encoding written out by hand: keys sorted at every depth, no whitespace.
      const details = `{"allowed":${String(e.details.allowed)},"approvers":[],"requestId":"${String(e.details.requestId)}"}`;
      const rest = `"prevHash":"${e.prevHash}","seq":${e.seq},"time":"${e.time}"}`;
      const body = `{"details":${details},"event":"sign.policy",${rest}`;
      const independent = createHash("sha256")
        .update(Buffer.from(e.prevHash, "hex"))
        .update(body)
        .digest("hex");
      assert.equal(e.hash, independent);
      assert.equal(
        written[e.seq - 1],
        `{"details":${details},"event":"sign.policy","hash":"${e.hash}",${rest}`,
      );
    }
    assert.deepEqual(await verifyAuditLog(file), {
      ok: true,
      entries: 3,
      head: { seq: 3, hash: entries[2].hash },
    });
  });

  it("verifies logs longer than one read chunk, finding tampering far in", async () => {
    const file = freshFile();
    const log = await AuditLog.open(file, { clock });
    const note = "x".repeat(1000);
    for (let i = 1; i <= 80; i++) await log.append("e", { i, note });
    await log.close();
    const r = await verifyAuditLog(file);
    assert.ok(r.ok && r.entries === 80);
    const ls = await lines(file);
    ls[69] = ls[69].replace('"i":70', '"i":71');
    await writeLines(file, ls);
    await expectBroken(file, "hash", 70);
  });

  it("canonical JSON sorts keys at every depth and refuses non-JSON values", () => {
    assert.equal(
      canonicalJson({ b: [1, { d: null, c: "x" }], a: true }),
      '{"a":true,"b":[1,{"c":"x","d":null}]}',
    );
    assert.throws(() => canonicalJson({ v: Number.NaN }), ParameterError);
    assert.throws(() => canonicalJson({ v: 1n as unknown as number }), ParameterError);
  });

  it("an empty log verifies with the genesis head", async () => {
    const file = freshFile();
    await (await AuditLog.open(file)).close();
    assert.deepEqual(await verifyAuditLog(file), {
      ok: true,
      entries: 0,
      head: { seq: 0, hash: GENESIS_HASH },
    });
  });

  it("reopening continues the chain", async () => {
    const { file, entries } = await logWith(2);
    const log = await AuditLog.open(file, { clock });
    assert.deepEqual(log.head(), { seq: 2, hash: entries[1].hash });
    const third = await log.append("sign.policy", { requestId: "req-3" });
    await log.close();
    assert.equal(third.seq, 3);
    assert.equal(third.prevHash, entries[1].hash);
    const r = await verifyAuditLog(file);
    assert.ok(r.ok && r.entries === 3);
  });

  it("concurrent appends are serialised into one chain", async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    const appended = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append("e", { i })));
    await log.close();
    assert.deepEqual(
      appended.map((e) => e.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.ok((await verifyAuditLog(file)).ok);
  });

  it("appends made while an fsync runs share the next one (group commit); head() moves once durable", async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    await log.append("first", {});
    // Count fsyncs on the log's file handles (one shared prototype) while 20 appends run concurrently.
    const probe = await open(file, "r");
    const fhProto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const original = fhProto.sync;
    let syncs = 0;
    fhProto.sync = function (this: unknown) {
      syncs++;
      return original.call(this);
    };
    try {
      const pending = Array.from({ length: 20 }, (_, i) => log.append("e", { i }));
      assert.equal(log.head().seq, 1, "not durable yet");
      const appended = await Promise.all(pending);
      assert.equal(log.head().seq, 21);
      assert.deepEqual(
        appended.map((e) => e.seq),
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
      assert.equal(syncs, 1, "20 appends made in one tick share one fsync");
    } finally {
      fhProto.sync = original;
      await log.close();
    }
    assert.ok((await verifyAuditLog(file)).ok);
  });

  it("refuses details that look like secrets or are not JSON, and bad event names", async () => {
    const log = await AuditLog.open(freshFile());
    await assert.rejects(log.append("e", { nested: { privateKey: "0x01" } }), ParameterError);
    await assert.rejects(log.append("e", { passphrase: "x" }), ParameterError);
    await assert.rejects(log.append("e", { amount: 1n as unknown as number }), ParameterError);
    await assert.rejects(log.append("bad event", {}), ParameterError);
    assert.equal(log.head().seq, 0, "a refused append writes nothing");
    await log.close();
  });
});

describe("audit log: tampering is detected at the first bad seq", () => {
  it("editing an entry's details", async () => {
    const { file } = await logWith(4);
    const ls = await lines(file);
    ls[1] = ls[1].replace('"allowed":true', '"allowed":false');
    await writeLines(file, ls);
    await expectBroken(file, "hash", 2);
  });

  it("editing an entry's time", async () => {
    const { file } = await logWith(4);
    const ls = await lines(file);
    ls[2] = ls[2].replace("2025-01-01", "2024-01-01");
    await writeLines(file, ls);
    await expectBroken(file, "hash", 3);
  });

  it("editing an entry and recomputing its hash breaks the next link", async () => {
    const { file } = await logWith(4);
    const ls = await lines(file);
    const e = JSON.parse(ls[1]) as AuditEntry;
    const { hash: _old, ...body } = { ...e, details: { ...e.details, allowed: false } };
    ls[1] = canonicalJson({ ...body, hash: entryHash(body) });
    await writeLines(file, ls);
    await expectBroken(file, "prev-hash", 3);
  });

  it("rewriting every later entry too leaves a valid chain only if the anchor is not checked", async () => {
    const { file, entries } = await logWith(3);
    const ls = await lines(file);
    let prev = JSON.parse(ls[0]).hash as string;
    for (let i = 1; i < ls.length; i++) {
      const e = JSON.parse(ls[i]) as AuditEntry;
      const { hash: _old, ...body } = { ...e, prevHash: prev, details: { ...e.details, allowed: true } };
      const hash = entryHash(body);
      ls[i] = canonicalJson({ ...body, hash });
      prev = hash;
    }
    await writeLines(file, ls);
    assert.ok((await verifyAuditLog(file)).ok);
    const anchored = await verifyAuditLog(file, { expectedHead: { seq: 3, hash: entries[2].hash } });
    assert.ok(!anchored.ok && anchored.problem === "head-mismatch" && anchored.firstBadSeq === 3);
  });

  it("changing any single byte anywhere (property)", async () => {
    const { file } = await logWith(3);
    const original = await readFile(file);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: original.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, delta) => {
          const bytes = Buffer.from(original);
          bytes[at] = (bytes[at] + delta) % 256;
          await writeFile(file, bytes);
          const r = await verifyAuditLog(file);
          return !r.ok;
        },
      ),
      { numRuns: 60, seed: 0x5eed },
    );
  });

  it("re-serialising a line (same content, other bytes)", async () => {
    const { file } = await logWith(3);
    const ls = await lines(file);
    ls[1] = JSON.stringify(JSON.parse(ls[1]), null, 1).replace(/\n/g, "");
    await writeLines(file, ls);
    await expectBroken(file, "not-canonical", 2);
  });

  it("deleting an entry in the middle", async () => {
    const { file } = await logWith(4);
    const ls = await lines(file);
    ls.splice(1, 1);
    await writeLines(file, ls);
    await expectBroken(file, "seq", 2);
  });

  it("deleting an entry and renumbering the rest", async () => {
    const { file } = await logWith(4);
    const ls = (await lines(file)).filter((_, i) => i !== 1);
    const renumbered = ls.map((l, i) => canonicalJson({ ...(JSON.parse(l) as AuditEntry), seq: i + 1 }));
    await writeLines(file, renumbered);
    await expectBroken(file, "prev-hash", 2);
  });

  it("swapping two entries", async () => {
    const { file } = await logWith(4);
    const ls = await lines(file);
    [ls[1], ls[2]] = [ls[2], ls[1]];
    await writeLines(file, ls);
    await expectBroken(file, "seq", 2);
  });

  it("duplicating an entry", async () => {
    const { file } = await logWith(3);
    const ls = await lines(file);
    ls.splice(2, 0, ls[1]);
    await writeLines(file, ls);
    await expectBroken(file, "seq", 3);
  });

  it("inserting a blank or foreign line", async () => {
    const { file } = await logWith(3);
    const ls = await lines(file);
    await writeLines(file, [ls[0], "", ...ls.slice(1)]);
    await expectBroken(file, "malformed", 2);
    await writeLines(file, [ls[0], '{"seq":2}', ...ls.slice(1)]);
    await expectBroken(file, "malformed", 2);
  });

  it("replacing a character with invalid UTF-8", async () => {
    const { file } = await logWith(3);
    const bytes = await readFile(file);
    const at = bytes.indexOf("req-2");
    bytes[at] = 0xff;
    await writeFile(file, bytes);
    await expectBroken(file, "malformed", 2);
  });

  it("cutting bytes out of the middle", async () => {
    const { file } = await logWith(3);
    const text = await readFile(file, "utf8");
    const mid = text.indexOf("\n") + 10;
    await writeFile(file, text.slice(0, mid) + text.slice(mid + 40));
    await expectBroken(file, "malformed", 2);
  });

  it("cutting the file inside the last entry", async () => {
    const { file } = await logWith(3);
    const text = await readFile(file, "utf8");
    await writeFile(file, text.slice(0, text.length - 20));
    const r = await verifyAuditLog(file);
    assert.ok(!r.ok && r.problem === "torn-tail" && r.firstBadSeq === 3);
  });

  it("cutting whole entries off the end: caught against an anchor", async () => {
    const { file, entries } = await logWith(4);
    const ls = await lines(file);
    await writeLines(file, ls.slice(0, 2));
    assert.ok((await verifyAuditLog(file)).ok, "a shorter chain is valid on its own");
    const r = await verifyAuditLog(file, { expectedHead: { seq: 4, hash: entries[3].hash } });
    assert.ok(!r.ok && r.problem === "head-mismatch" && r.firstBadSeq === 3);
    const older = await verifyAuditLog(file, { expectedHead: { seq: 2, hash: entries[1].hash } });
    assert.ok(older.ok, "an older anchor still matches");
  });
});

describe("audit log: crash recovery", () => {
  it("a torn last line (crash mid-append) is cut off on open, the repair logged, and the chain continues", async () => {
    const { file, entries } = await logWith(2);
    await appendFile(file, '{"details":{"requestId":"req-3"},"ev');
    const log = await AuditLog.open(file, { clock });
    assert.equal(log.head().seq, 3);
    const e = await log.append("sign.policy", { requestId: "req-3" });
    await log.close();
    const ls = await lines(file);
    const repaired = JSON.parse(ls[2]) as AuditEntry;
    assert.equal(repaired.prevHash, entries[1].hash);
    assert.equal(repaired.event, "audit.repaired");
    assert.deepEqual(repaired.details, { action: "cut-torn-tail", bytes: 36 });
    assert.equal(e.seq, 4);
    assert.ok((await verifyAuditLog(file)).ok);
  });

  it("a last entry missing only its newline is kept, not cut", async () => {
    const { file, entries } = await logWith(3);
    const text = await readFile(file, "utf8");
    await writeFile(file, text.slice(0, -1));
    const r = await verifyAuditLog(file);
    assert.ok(!r.ok && r.problem === "torn-tail" && r.firstBadSeq === 3);
    const log = await AuditLog.open(file, { clock });
    await log.close();
    const ls = await lines(file);
    assert.equal((JSON.parse(ls[2]) as AuditEntry).hash, entries[2].hash);
    assert.deepEqual((JSON.parse(ls[3]) as AuditEntry).details, { action: "completed-last-line", seq: 3 });
    assert.ok((await verifyAuditLog(file)).ok);
  });

  it("close waits for pending appends; a closed log refuses new ones", async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    const pending = [log.append("e", { i: 1 }), log.append("e", { i: 2 })];
    await log.close();
    assert.deepEqual(
      (await Promise.all(pending)).map((e) => e.seq),
      [1, 2],
    );
    await assert.rejects(log.append("e", {}), ParameterError);
    const r = await verifyAuditLog(file);
    assert.ok(r.ok && r.entries === 2);
  });

  it("a second writer on the same file in one process is refused (it would fork the chain)", async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    await assert.rejects(AuditLog.open(file), ParameterError);
    await log.close();
    await (await AuditLog.open(file)).close();
  });

  it("an entry is a snapshot of the details at append time", async () => {
    const file = freshFile();
    const log = await AuditLog.open(file);
    const details = { requestId: "a", approvers: ["x"] };
    const first = log.append("e", details);
    details.approvers.push("y");
    details.requestId = "b";
    assert.deepEqual((await first).details, { requestId: "a", approvers: ["x"] });
    await log.close();
  });
});
