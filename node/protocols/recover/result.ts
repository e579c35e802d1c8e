/** What share recovery (§5) returns to each participant. */
import type { KeyShare } from "../../protocol/key-share.js";

export type RecoveryResult =
  /** The target: its share (same epoch), checked against Y_r; for enrollment the package includes r. */
  | { readonly role: "target"; readonly share: KeyShare }
  /** A helper: it passed every check and sent its sum to the target. */
  | { readonly role: "helper"; readonly target: number };
