/**
 * Small filesystem helpers shared by the share store and its write-ahead log: atomic durable file
 * writes, directory fsyncs, mkdir -p with durable entries, and a directory walk.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import path from "node:path";

export interface AtomicWriteOptions {
  /** fsync the temp file before the rename. @default true */
  readonly durable?: boolean;
  /** fsync the directory after the rename (callers writing many files fsync each directory once). @default durable */
  readonly syncDir?: boolean;
}

/** Temp file in the same directory (O_EXCL, 0600), write, fsync, rename over `file`, fsync the directory. */
export async function atomicWrite(
  file: string,
  bytes: Uint8Array,
  { durable = true, syncDir = durable }: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    try {
      await fh.writeFile(bytes);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  if (syncDir) await fsyncDir(path.dirname(file));
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** unlink that treats a missing file as done; returns whether a file was removed. */
export async function unlinkIfExists(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** mkdir -p below `root`, fsyncing the parent of every directory it creates (so the entry is durable). */
export async function ensureDir(dir: string, root: string): Promise<void> {
  const rel = path.relative(root, dir);
  let current = root;
  for (const seg of rel === "" ? [] : rel.split(path.sep)) {
    const next = path.join(current, seg);
    try {
      await mkdir(next, { mode: 0o700 });
      await fsyncDir(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    current = next;
  }
}

/** Depth-first walk calling `visit(relativeKeyPath, name)` for every regular file. */
export async function walk(
  dir: string,
  rel: string,
  visit: (rel: string, name: string) => void,
): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR")
      return;
    throw err;
  }
  for (const e of entries) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await walk(path.join(dir, e.name), childRel, visit);
    else if (e.isFile()) visit(childRel, e.name);
  }
}
