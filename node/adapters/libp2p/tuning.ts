/**
 * Two adjustments of the libp2p stack for small-frame latency. Neither changes what goes on the wire in
 * meaning (the peer cannot tell), only how many writes and frames carry it:
 *
 * - Yamux window updates at half window. @chainsafe/libp2p-yamux answers every data frame with a
 *   window-update frame, so each protocol frame costs a second Noise message, write and wake-up of the
 *   sender. The yamux spec lets the receiver choose when to grant credit; hashicorp/yamux (the reference)
 *   and go-yamux grant it once at least half the window is consumed. We do the same: an established
 *   stream sends its update when its free receive window falls below half (flags, pause and window
 *   growth are left to the library). Flow control is unchanged: the sender still stops at zero credit.
 * - One socket write per Noise message. The Noise stream hands TCP each message as two buffers (2-byte
 *   length, ciphertext) and the TCP adapter writes them one by one: two syscalls, and often two wake-ups
 *   of the reader. We join them first (a copy of a few hundred bytes).
 *
 * Both reach into library internals (the yamux stream's window fields, the Noise stream's `encrypt`). If
 * an update of either library renames them, the affected adjustment switches itself off and the stack
 * runs as the library ships it, never broken; test/adapters/libp2p-tuning.test.ts, which counts socket
 * writes per frame on real connections, then fails and says so.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { StreamState, YamuxStream } from "@chainsafe/libp2p-yamux/stream";
import type { ConnectionEncrypter, SecureConnectionOptions, SecuredConnection } from "@libp2p/interface";

interface YamuxWindow {
  state: StreamState;
  recvWindow: number;
  recvWindowCapacity: number;
  sendWindowUpdate(): void;
}

let yamuxPatched = false;

/** Makes every yamux stream of this process grant receive credit at half window (idempotent). */
export function yamuxWindowUpdatesAtHalf(): void {
  if (yamuxPatched) return;
  const proto = YamuxStream.prototype as unknown as YamuxWindow;
  if (typeof proto.sendWindowUpdate !== "function") return; // library changed: run it as shipped
  const original = proto.sendWindowUpdate;
  proto.sendWindowUpdate = function (this: YamuxWindow) {
    const halfFree =
      typeof this.recvWindow === "number" &&
      typeof this.recvWindowCapacity === "number" &&
      this.recvWindowCapacity * 2 >= this.recvWindow;
    if (this.state === StreamState.Established && halfFree) return;
    original.call(this);
  };
  yamuxPatched = true;
}

/** The part of uint8arraylist's Uint8ArrayList the Noise stream returns (not a direct dependency). */
interface ByteList {
  readonly bufs: Uint8Array[];
  readonly byteLength: number;
  subarray(): Uint8Array;
  consume(bytes: number): void;
  append(buf: Uint8Array): void;
}

interface NoiseMessageStream {
  encrypt(chunk: unknown): ByteList;
}

/** Joins each Noise message (length ‖ ciphertext) into one buffer, so TCP writes it once. */
function oneWritePerMessage<T extends SecuredConnection<unknown>>(secured: T): T {
  const stream = secured.connection as unknown as NoiseMessageStream;
  if (typeof stream.encrypt !== "function") return secured; // library changed: run it as shipped
  const encrypt = stream.encrypt.bind(stream);
  stream.encrypt = (chunk) => {
    const parts = encrypt(chunk);
    if (parts.bufs.length > 1) {
      const joined = parts.subarray();
      parts.consume(parts.byteLength);
      parts.append(joined);
    }
    return parts;
  };
  return secured;
}

/** `noise()` whose secured connections write each message with a single socket write. */
export function noiseOneWrite(...args: Parameters<typeof noise>): ReturnType<typeof noise> {
  const factory = noise(...args);
  return (components) => {
    const inner = factory(components);
    const wrapped: ConnectionEncrypter = Object.create(inner) as ConnectionEncrypter;
    wrapped.secureInbound = async (connection, options?: SecureConnectionOptions) =>
      oneWritePerMessage(await inner.secureInbound(connection, options));
    wrapped.secureOutbound = async (connection, options?: SecureConnectionOptions) =>
      oneWritePerMessage(await inner.secureOutbound(connection, options));
    return wrapped as ReturnType<ReturnType<typeof noise>>;
  };
}
