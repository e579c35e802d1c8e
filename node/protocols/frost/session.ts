/**
 * A FROST signing session (specs/protocols.md §7.2; DESIGN.md §1): who coordinates, who signs, what is
 * signed, under which key, epoch and variant. Its 32-byte session id binds all of it (protocol
 * "frost/<variant>", key id, epoch, request id, signer set, coordinator, group key, SHA-256 of the
 * message), and every FROST message carries it, so no message is accepted in another session. A retry
 * is a new session (new request id, see retry.ts).
 */
import { ByteWriter } from "../../protocol/codec.js";
import { InvalidMessageError, ParameterError } from "../../protocol/errors.js";
import { deriveSessionId } from "../../protocol/session.js";
import type { KeyPublic, KeyShare } from "../../protocol/key-share.js";
import { bytesEqual, sha256, utf8ToBytes, Point } from "../../crypto/index.js";
import { MAX_REQUEST_ID_BYTES, MAX_SIGN_MESSAGE_BYTES, MAX_SIGNERS } from "./constants.js";
import { assertFrostKey, frostQuorum } from "./key-package.js";
import { assertVariant, type FrostVariant } from "./suite.js";

export interface FrostSessionParams {
  readonly variant: FrostVariant;
  /** Unique per signing attempt (retry.ts derives attempt ids). */
  readonly requestId: string;
  readonly coordinator: number;
  /** Ascending member ids; at least the quorum (degree + 1). */
  readonly signers: readonly number[];
  readonly message: Uint8Array;
}

export interface FrostSession extends FrostSessionParams {
  readonly key: KeyPublic;
  readonly quorum: number;
  readonly sessionId: Uint8Array;
}

/** What the coordinator knows: the session, its own id, and its key share if it also signs. */
export interface CoordinatorContext {
  readonly session: FrostSession;
  readonly self: number;
  readonly share?: KeyShare;
}

/** The session id every member derives for `params` under `key`. */
export function frostSessionId(key: KeyPublic, params: FrostSessionParams): Uint8Array {
  const extra = new ByteWriter()
    .u16(params.coordinator)
    .point(key.publicKey)
    .fixed(sha256(params.message), 32)
    .finish();
  return deriveSessionId({
    protocol: `frost/${params.variant}`,
    keyId: key.keyId,
    epoch: key.epoch,
    requestId: params.requestId,
    participants: params.signers,
    extra,
  });
}

/** Checks `params` against `key` (ParameterError on any problem) and derives the session id. */
export function openFrostSession(key: KeyPublic, params: FrostSessionParams): FrostSession {
  assertFrostKey(key);
  assertVariant(params.variant);
  const { requestId, coordinator, signers, message } = params;
  if (
    typeof requestId !== "string" ||
    requestId.length === 0 ||
    utf8ToBytes(requestId).length > MAX_REQUEST_ID_BYTES
  ) {
    throw new ParameterError(`request id must be 1..${MAX_REQUEST_ID_BYTES} bytes`);
  }
  if (!(message instanceof Uint8Array) || message.length > MAX_SIGN_MESSAGE_BYTES) {
    throw new ParameterError(`message must be at most ${MAX_SIGN_MESSAGE_BYTES} bytes`);
  }
  if (!key.participants.includes(coordinator))
    throw new ParameterError(`coordinator ${coordinator} is not a member of the key`);
  const quorum = frostQuorum(key);
  if (signers.length < quorum || signers.length > Math.min(key.participants.length, MAX_SIGNERS)) {
    throw new ParameterError(`need ${quorum}..${key.participants.length} signers, got ${signers.length}`);
  }
  for (let i = 0; i < signers.length; i++) {
    if (!key.participants.includes(signers[i]))
      throw new ParameterError(`signer ${signers[i]} is not a member of the key`);
    if (i > 0 && signers[i] <= signers[i - 1])
      throw new ParameterError("signers must be distinct and ascending");
  }
  const session = { ...params, signers: [...signers], key, quorum };
  return { ...session, sessionId: frostSessionId(key, session) };
}

/** Rejects a message of another session. Not blamed: a stale or misrouted message proves nothing. */
export function assertSameSession(session: FrostSession, from: number, sessionId: Uint8Array): void {
  if (!(sessionId instanceof Uint8Array) || !bytesEqual(sessionId, session.sessionId)) {
    throw new InvalidMessageError(from, `message from member ${from} belongs to another session`, false);
  }
}

/** Rejects anything but a valid, non-identity secp256k1 point. Blamed: the sender signed it. */
export function assertValidPoint(from: number, P: unknown, what: string): void {
  let ok = P instanceof Point && !P.is0();
  if (ok) {
    try {
      (P as Point).assertValidity();
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new InvalidMessageError(from, `member ${from} sent an invalid point as ${what}`);
}
