/**
 * Fault injection for MemoryNetwork (test only in spirit, but pure and side-effect free): each factory
 * returns a Fault that rewrites the deliveries it matches and passes the others through unchanged.
 *
 *   net.addFault(faults.drop({ from: "p3", round: 3 }));              // p3's round-3 frames vanish
 *   net.addFault(faults.reorder({}, 20, seededRng("x")));            // random extra latency up to 20 ms
 *   net.addFault(faults.corrupt({ to: "p2" }, (b) => flipByte(b, 60)));
 *   net.addFault(faults.equivocate({ from: "p4", to: "p1" }, (bytes) => resignedOtherFrame(bytes)));
 */
import type { Rng } from "../../crypto/rng.js";
import { decodeFrame, type Frame } from "../../protocol/frame.js";
import type { Delivery, Fault } from "./transport.js";

/** Which deliveries a fault applies to; every given field must match. */
export interface Match {
  readonly from?: string;
  readonly to?: string;
  /** Frame round (frames that do not decode never match a round). */
  readonly round?: number;
  readonly when?: (d: Delivery, frame: Frame | undefined) => boolean;
}

function matches(m: Match, d: Delivery): boolean {
  if (m.from !== undefined && m.from !== d.from) return false;
  if (m.to !== undefined && m.to !== d.to) return false;
  if (m.round === undefined && !m.when) return true;
  let frame: Frame | undefined;
  try {
    frame = decodeFrame(d.bytes);
  } catch {
    frame = undefined;
  }
  if (m.round !== undefined && frame?.round !== m.round) return false;
  return m.when ? m.when(d, frame) : true;
}

const only =
  (m: Match, f: (d: Delivery) => Delivery[]): Fault =>
  (d) =>
    matches(m, d) ? f(d) : [d];

/** Uniform number in [0, 1) from an Rng. */
function unit(rng: Rng): number {
  const b = rng(4);
  return (((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0) / 2 ** 32;
}

export const faults = {
  /** Loses matching frames (with `probability`, drawn from `rng`, if given). */
  drop(m: Match, opts?: { probability: number; rng: Rng }): Fault {
    return only(m, (d) => (opts && unit(opts.rng) >= opts.probability ? [d] : []));
  },

  /** Adds `ms` of latency to matching frames. */
  delay(m: Match, ms: number): Fault {
    return only(m, (d) => [{ ...d, delayMs: d.delayMs + ms }]);
  },

  /** Adds a random latency in [0, maxMs) to each matching frame, so they arrive out of order. */
  reorder(m: Match, maxMs: number, rng: Rng): Fault {
    return only(m, (d) => [{ ...d, delayMs: d.delayMs + Math.floor(unit(rng) * maxMs) }]);
  },

  /** Delivers matching frames `copies` extra times. */
  duplicate(m: Match, copies = 1): Fault {
    return only(m, (d) => Array.from({ length: copies + 1 }, () => ({ ...d, bytes: d.bytes.slice() })));
  },

  /** Replaces matching frames' bytes with `mutate(bytes)` (flip a byte, change a field, truncate...). */
  corrupt(m: Match, mutate: (bytes: Uint8Array) => Uint8Array): Fault {
    return only(m, (d) => [{ ...d, bytes: mutate(d.bytes.slice()) }]);
  },

  /**
   * A sender telling different peers different things: `rewrite(bytes, to)` returns the frame that peer
   * `to` gets instead (for a validly signed lie, the test re-signs with the sender's key).
   */
  equivocate(m: Match, rewrite: (bytes: Uint8Array, to: string) => Uint8Array): Fault {
    return only(m, (d) => [{ ...d, bytes: rewrite(d.bytes.slice(), d.to) }]);
  },
};

/** XORs one byte (offset counted from the end if negative); a corruption helper. */
export function flipByte(bytes: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  const i = offset < 0 ? bytes.length + offset : offset;
  bytes[i] ^= mask;
  return bytes;
}
