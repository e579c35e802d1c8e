/** What resharing (§6) returns to each participant. */
import type { KeyPublic } from "../../protocol/key-share.js";
import type { EpochOutput } from "../lifecycle/pending.js";

export type ReshareResult =
  /** A member of the new committee: its new share (epoch e+1), to be made pending and ACKed. */
  | { readonly role: "member"; readonly output: EpochOutput }
  /**
   * A dealer that is not in the new committee: it observes the ACK session for this package and erases
   * its old share once it holds the certificate.
   */
  | {
      readonly role: "dealer";
      readonly sessionId: Uint8Array;
      readonly epoch: number;
      readonly packageDigest: Uint8Array;
      /** The new public package P^{e+1} (its digest is `packageDigest`): what the registry record binds. */
      readonly public: KeyPublic;
      readonly roster: readonly number[];
    };
