/**
 * DKG round 4 — specs/protocols.md §1 "Round 3 (complaints, broadcast)" step 1: every member broadcasts
 * its complaint list, possibly empty, so that silence is never mistaken for "no complaint". The lists go
 * through the echo broadcast of §1.1 (round 5): every honest member that goes on holds the same
 * complaints and therefore computes the same QUAL.
 */
import { bytesEqual } from "../../crypto/hash.js";
import { collectBroadcast, startEcho } from "../../protocol/echo.js";
import { InvalidMessageError } from "../../protocol/errors.js";
import { CollectingRound, type Transition } from "../../protocol/round.js";
import { dkgCodec, dkgEchoAdapter } from "./codec.js";
import { DKG_PROTOCOL, DKG_ROUND, type ComplaintsMessage, type DkgMessage } from "./messages.js";
import type { DkgOutput } from "./output.js";
import { afterComplaintEcho } from "./round5-complaint-echo.js";
import type { SharePhase } from "./state.js";

export class ComplaintsRound extends CollectingRound<DkgMessage, DkgOutput> {
  readonly protocol = DKG_PROTOCOL;
  readonly number = DKG_ROUND.complaints;

  constructor(
    private readonly phase: SharePhase,
    private readonly own: ComplaintsMessage,
  ) {
    super(phase.ctx.self, phase.ctx.others);
  }

  /** A complaint list names members other than its sender, each once, ascending. */
  protected validate(from: number, m: DkgMessage): void {
    if (m.kind !== "complaints") {
      throw new InvalidMessageError(from, `dkg round 4 expects complaints, got ${m.kind}`);
    }
    const members = this.phase.ctx.members;
    m.accused.forEach((id, k) => {
      if (!members.includes(id) || id === from || (k > 0 && id <= m.accused[k - 1])) {
        throw new InvalidMessageError(from, `member ${from} sent a malformed complaint list`);
      }
    });
  }

  protected same(a: DkgMessage, b: DkgMessage): boolean {
    return bytesEqual(dkgCodec.encode(a), dkgCodec.encode(b));
  }

  finalize(): Transition<DkgMessage, DkgOutput> {
    const complaints = new Map<number, readonly number[]>([[this.self, this.own.accused]]);
    for (const [id, m] of this.received) complaints.set(id, (m as ComplaintsMessage).accused);
    const view = collectBroadcast(
      dkgEchoAdapter,
      this.number,
      this.self,
      this.own,
      this.received,
      this.frames,
    );
    return startEcho(this.phase.ctx.echo, dkgEchoAdapter, view, () =>
      afterComplaintEcho(this.phase, complaints),
    );
  }
}
