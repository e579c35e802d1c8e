/**
 * The member's long-term libp2p identity: an Ed25519 key stored as base64 of libp2p's private-key
 * protobuf (`privateKeyToProtobuf`), file mode 0600. Its peer id (`12D3KooW…`) is what the registry
 * lists; the same key signs wire frames (authenticator.ts).
 */
import { constants } from "node:fs";
import { link, open, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import type { Ed25519PrivateKey } from "@libp2p/interface";
import { DecodeError, ParameterError } from "../../protocol/errors.js";

/** Reads an identity file; throws if it is missing, readable by others, or not an Ed25519 key. */
export async function readIdentity(file: string): Promise<Ed25519PrivateKey> {
  const st = await stat(file);
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    throw new ParameterError(
      `identity key file ${file} is accessible by group/others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  const text = (await readFile(file, "utf8")).trim();
  let key;
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error("not base64");
    key = privateKeyFromProtobuf(Buffer.from(text, "base64"));
  } catch (cause) {
    throw new DecodeError(`identity key file ${file} is not a libp2p private key`, [], { cause });
  }
  if (key.type !== "Ed25519") throw new DecodeError(`identity key file ${file} holds a ${key.type} key`);
  return key;
}

/** Writes `key` to a new file (mode 0600) atomically; refuses to overwrite an existing file. */
export async function writeIdentity(file: string, key: Ed25519PrivateKey): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(Buffer.from(privateKeyToProtobuf(key)).toString("base64") + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link() fails if `file` exists, so a concurrent writer can never replace an identity.
    await link(tmp, file);
  } finally {
    await unlink(tmp).catch(() => {});
  }
  await syncDir(path.dirname(file));
}

/** Loads the identity at `file`, creating a fresh Ed25519 key there if the file does not exist. */
export async function loadOrCreateIdentity(file: string): Promise<Ed25519PrivateKey> {
  try {
    return await readIdentity(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = await generateKeyPair("Ed25519");
  try {
    await writeIdentity(file, key);
  } catch (err) {
    // Lost a race with another creator: use theirs, never two identities.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return readIdentity(file);
    throw err;
  }
  return key;
}

/** The peer id string of a private key. */
export function peerIdOf(key: Ed25519PrivateKey): string {
  return peerIdFromPrivateKey(key).toString();
}

/**
 * The raw 32-byte Ed25519 public key embedded in an Ed25519 peer id (no network lookup: `12D3KooW…` ids
 * inline their key). Throws ParameterError for unparsable or non-Ed25519 ids.
 */
export function peerPublicKey(peerId: string): Uint8Array {
  let parsed;
  try {
    parsed = peerIdFromString(peerId);
  } catch (cause) {
    throw new ParameterError(`not a peer id: ${JSON.stringify(peerId.slice(0, 80))}`, [], { cause });
  }
  if (parsed.type !== "Ed25519") throw new ParameterError(`peer id ${peerId} is not an Ed25519 peer id`);
  return parsed.publicKey.raw;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
