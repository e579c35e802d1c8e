/**
 * TEST HELPER (not a test file): crash images of a FileShareStore and the record boundaries of its
 * write-ahead-log segments, read independently of the store's own scanner from the documented format
 * (node/adapters/storage/wal-format.ts: bodyLength u32 ‖ seq u32 ‖ crc32 u32 ‖ body; zeros after the end).
 */
import { cp, readdir, readFile, unlink } from "node:fs/promises";
import path from "node:path";

export interface RecordSpan {
  readonly seq: number;
  readonly offset: number;
  readonly end: number;
}

/** Segment files of a store directory, oldest first. */
export async function segmentFiles(dir: string): Promise<string[]> {
  const names = (await readdir(path.join(dir, "wal"))).filter((n) => /^[0-9a-f]{16}\.wal$/.test(n)).sort();
  return names.map((n) => path.join(dir, "wal", n));
}

/** The records of a segment's bytes, header record (seq 0) included, up to the zero-filled end. */
export function recordSpans(bytes: Uint8Array): RecordSpan[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const spans: RecordSpan[] = [];
  for (let offset = 0; offset + 12 <= bytes.length;) {
    const length = dv.getUint32(offset);
    if (length === 0) break;
    const end = offset + 12 + length;
    spans.push({ seq: dv.getUint32(offset + 4), offset, end });
    offset = end;
  }
  return spans;
}

export async function readSpans(file: string): Promise<{ bytes: Buffer; spans: RecordSpan[] }> {
  const bytes = await readFile(file);
  return { bytes, spans: recordSpans(bytes) };
}

/**
 * What the disk holds if the process died now (the store is open and idle in this process): a copy of
 * the directory, without the LOCK (its owner is gone).
 */
export async function crashImage(dir: string, to: string): Promise<string> {
  await cp(dir, to, { recursive: true });
  await unlink(path.join(to, "LOCK"));
  return to;
}
