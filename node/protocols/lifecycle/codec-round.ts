/**
 * A CollectingRound that tells an identical resend from equivocation by the canonical encoding of the
 * message (the codec is strict, so equal bytes ⇔ equal messages).
 */
import { bytesEqual } from "../../crypto/hash.js";
import { CollectingRound, type MessageCodec } from "../../protocol/round.js";

export abstract class CodecRound<M, R> extends CollectingRound<M, R> {
  constructor(
    self: number,
    expected: readonly number[],
    protected readonly codec: MessageCodec<M>,
  ) {
    super(self, expected);
  }

  protected same(a: M, b: M): boolean {
    return bytesEqual(this.codec.encode(a), this.codec.encode(b));
  }
}
