/**
 * One family of errors for everything Shardless throws. Every class has a stable `code` (tests and
 * API clients match on it, never on message text) and says whom it blames: `culprits` lists member
 * ids a protocol can prove misbehaved; an empty list means "no one provably". Messages never contain
 * secret values.
 */
export abstract class ShardlessError extends Error {
  abstract readonly code: string;
  /** Member ids this error proves misbehaved (empty: nobody provably). */
  readonly culprits: readonly number[];
  constructor(message: string, culprits: readonly number[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.culprits = [...new Set(culprits)].sort((a, b) => a - b);
  }
}

/** A caller passed a bad parameter (wrong degree, unknown member, bad length...). Blames nobody. */
export class ParameterError extends ShardlessError {
  readonly code = "PARAMETER";
}

/** Bytes that do not decode: bad length, version, out-of-range scalar, off-curve point, identity. */
export class DecodeError extends ShardlessError {
  readonly code = "DECODE";
}

/**
 * A peer's message was rejected by a round's `receive` (malformed, wrong round, duplicate with other
 * content, failed check). The round's state is unchanged. `sender` is blamed only when `provable`
 * (e.g. a failed proof on an authenticated message), otherwise `culprits` is empty.
 */
export class InvalidMessageError extends ShardlessError {
  readonly code = "INVALID_MESSAGE";
  constructor(
    readonly sender: number,
    message: string,
    provable = true,
    options?: ErrorOptions,
  ) {
    super(message, provable ? [sender] : [], options);
  }
}

/** A protocol run ended without output. `culprits` names who provably cheated (may be empty). */
export class ProtocolAbortError extends ShardlessError {
  readonly code = "PROTOCOL_ABORT";
  constructor(
    readonly reason: string,
    culprits: readonly number[] = [],
    options?: ErrorOptions,
  ) {
    super(reason, culprits, options);
  }
}

/** Two different validly signed messages from one sender for one session and round. */
export class EquivocationError extends ShardlessError {
  readonly code = "EQUIVOCATION";
  constructor(
    readonly equivocator: number,
    message = `member ${equivocator} equivocated`,
  ) {
    super(message, [equivocator]);
  }
}

/** A round did not complete in time. `missing` lists who did not send; not proof of malice. */
export class RoundTimeoutError extends ShardlessError {
  readonly code = "ROUND_TIMEOUT";
  constructor(
    readonly round: string,
    readonly missing: readonly number[],
  ) {
    super(`round ${round} timed out waiting for members ${missing.join(", ")}`);
  }
}

/** A one-time secret (presignature, nonce) was requested a second time. */
export class ConsumedError extends ShardlessError {
  readonly code = "CONSUMED";
}

/** An output failed its final verification (signature, decryption). Never released. */
export class VerificationError extends ShardlessError {
  readonly code = "VERIFICATION";
}

/** The request was refused by policy (approvals, on-chain access policy). */
export class PolicyError extends ShardlessError {
  readonly code = "POLICY";
}
