/**
 * The write-ahead-log record format (node/adapters/storage/wal-format.ts): a hex snapshot (a format
 * change shows up in review), records built independently from the documented layout decode, and
 * authenticated records with a bad op, a misplaced header or a malformed body are refused.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import {
  parseSegmentName,
  scanSegment,
  sealRecord,
  segmentName,
  type SegmentContext,
} from "../../node/adapters/storage/wal-format.js";
import { StoreCorruptError } from "../../node/adapters/storage/index.js";
import { aeadSeal, bytesToHex, concatBytes, seededRng, utf8ToBytes } from "../../node/crypto/index.js";

const rngFor = (seed: string) => seededRng(`wal-format/${seed}`);
const ctx: SegmentContext = {
  dataKey: rngFor("key")(32),
  storeId: rngFor("store")(16),
  segment: 0x1_0000_0002, // above 2^32: both halves of the u64 matter
};

/** A record per the documented layout, built without the store's code. */
function handMade(
  c: SegmentContext,
  seq: number,
  plaintext: Uint8Array,
  rng = rngFor(`nonce${seq}`),
): Uint8Array {
  const pos = new Uint8Array(12);
  const dv = new DataView(pos.buffer);
  dv.setBigUint64(0, BigInt(c.segment));
  dv.setUint32(8, seq);
  const aad = concatBytes(utf8ToBytes("shardless/share-store/wal/v1\0"), c.storeId, pos);
  const body = aeadSeal(c.dataKey, plaintext, aad, rng);
  const header = new Uint8Array(12);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, body.length);
  hv.setUint32(4, seq);
  hv.setUint32(8, crc32(header.subarray(0, 8)));
  return concatBytes(header, body);
}

const put = (key: string, value: number[]) =>
  Uint8Array.from([1, 0, key.length, ...utf8ToBytes(key), ...value]);
const segmentHeader = (c = ctx) => sealRecord(c, 0, null, rngFor("header"));
const scan = (...records: Uint8Array[]) =>
  scanSegment(concatBytes(...records, new Uint8Array(64)), ctx, "/seg.wal");

describe("WAL record format", () => {
  it("hex snapshot of a segment header and a put record", () => {
    // header: bodyLength 29 (nonce 12 + op 1 + tag 16), seq 0, crc32, body
    assert.equal(
      bytesToHex(segmentHeader()),
      "0000001d00000000fd528c5a" + "1cd51cde799c17c3981705dfbebd44561fd392db2b82c07dc69297889e",
    );
    // put a/b = 07 08: bodyLength 36 (nonce 12 + op 1 + keyLength 2 + key 3 + value 2 + tag 16), seq 1
    const rec = sealRecord(ctx, 1, { op: "put", key: "a/b", value: Uint8Array.of(7, 8) }, rngFor("put"));
    assert.equal(
      bytesToHex(rec),
      "00000024000000012664663b" + "8c7bf4f21e120a5433061599ccbe8474e67909fa40535c38ada5449be17c0d116fef414d",
    );
    // The same record built by hand from the documented layout (same nonce): byte-identical.
    assert.deepEqual(handMade(ctx, 1, put("a/b", [7, 8]), rngFor("put")), rec);
  });

  it("records built from the documented layout decode, in order", () => {
    const out = scan(
      handMade(ctx, 0, Uint8Array.of(0)),
      handMade(ctx, 1, put("a/b", [1, 2, 3])),
      handMade(ctx, 2, Uint8Array.from([2, 0, 3, ...utf8ToBytes("a/b")])),
    );
    assert.deepEqual(out.ops, [
      { op: "put", key: "a/b", value: Uint8Array.of(1, 2, 3) },
      { op: "delete", key: "a/b" },
    ]);
    assert.equal(out.torn, null);
  });

  it("authenticated but malformed records are refused, never skipped", () => {
    const cases: [string, Uint8Array[]][] = [
      ["unknown op", [segmentHeader(), handMade(ctx, 1, Uint8Array.of(7, 0, 1, 0x61))]],
      ["a put where the segment header belongs", [handMade(ctx, 0, put("a", [1]))]],
      ["a second segment header", [segmentHeader(), handMade(ctx, 1, Uint8Array.of(0))]],
      ["a delete carrying a value", [segmentHeader(), handMade(ctx, 1, Uint8Array.of(2, 0, 1, 0x61, 9))]],
      ["a key longer than the record", [segmentHeader(), handMade(ctx, 1, Uint8Array.of(1, 0, 9, 0x61))]],
      ["a path-traversal key", [segmentHeader(), handMade(ctx, 1, put("../x", [1]))]],
    ];
    for (const [what, records] of cases) {
      // Followed by a valid record, and also as the last record: authenticated damage is never a torn tail.
      const next = handMade(ctx, records.length, put("z", [1]));
      for (const tail of [[next], []]) {
        assert.throws(
          () => scan(...records, ...tail),
          (e: unknown) => e instanceof StoreCorruptError && e.key === "(wal)" && e.file === "/seg.wal",
          what,
        );
      }
    }
  });

  it("a segment without its header record is refused", () => {
    assert.throws(() => scanSegment(new Uint8Array(4096), ctx, "/seg.wal"), StoreCorruptError);
    assert.throws(() => scanSegment(new Uint8Array(0), ctx, "/seg.wal"), StoreCorruptError);
  });

  it("segment names are 16 hex digits; nothing else parses", () => {
    assert.equal(segmentName(ctx.segment), "0000000100000002.wal");
    assert.equal(parseSegmentName(segmentName(ctx.segment)), ctx.segment);
    for (const bad of ["1.wal", "0000000100000002.wal.tmp", "000000010000000G.wal", "0000000100000002.WAL"]) {
      assert.equal(parseSegmentName(bad), null, bad);
    }
  });
});
