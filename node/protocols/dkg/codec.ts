/**
 * Wire encoding of DKG messages (the frame payload; the frame already carries version, protocol id,
 * session id, round and sender). Payload = kind tag u8 ‖ body. The round number tells the decoder which
 * kinds are allowed; everything is strict and capped (at most 64 members, so at most 64 list items).
 *
 *   deal        tag 1 ‖ u32 count ‖ count × point(33) ‖ R point(33) ‖ μ scalar(32)
 *   echo        tag 2 ‖ digest(32)
 *   share       tag 3 ‖ scalar(32)
 *   complaints  tag 4 ‖ u32 count ‖ count × u16 (strictly ascending)
 *   answers     tag 5 ‖ u16 count ‖ count × (u16 complainer ‖ scalar(32)) (strictly ascending complainer)
 *   reveal      tag 6 ‖ echo.ts reveal body
 */
import { ByteWriter, decodeWith, type ByteReader } from "../../protocol/codec.js";
import { readEcho, readReveal, writeEcho, writeReveal, type EchoAdapter } from "../../protocol/echo.js";
import { DecodeError } from "../../protocol/errors.js";
import { PROTOCOL_IDS, type MessageCodec } from "../../protocol/round.js";
import { DKG_ROUND, type DkgMessage } from "./messages.js";

/** Most members a DKG supports (assertGroupParameters), hence the cap of every list. */
export const DKG_MAX_MEMBERS = 64;

const TAG = { deal: 1, echo: 2, share: 3, complaints: 4, answers: 5, reveal: 6 } as const;
type Kind = keyof typeof TAG;

/** Which kinds each round accepts. */
const ALLOWED: Record<number, readonly Kind[]> = {
  [DKG_ROUND.deal]: ["deal"],
  [DKG_ROUND.dealEcho]: ["echo"],
  [DKG_ROUND.shares]: ["share", "reveal"],
  [DKG_ROUND.complaints]: ["complaints"],
  [DKG_ROUND.complaintEcho]: ["echo"],
  [DKG_ROUND.answers]: ["answers", "reveal"],
  [DKG_ROUND.answerEcho]: ["echo"],
  [DKG_ROUND.answerReveal]: ["reveal"],
};

function ascending(ids: readonly number[], what: string): void {
  for (let k = 1; k < ids.length; k++) {
    if (ids[k] <= ids[k - 1]) throw new DecodeError(`${what} not strictly ascending`);
  }
}

function write(m: DkgMessage): Uint8Array {
  const w = new ByteWriter().u8(TAG[m.kind]);
  switch (m.kind) {
    case "deal":
      return w.points(m.commitments).point(m.proof.R).scalar(m.proof.mu).finish();
    case "echo":
      return writeEcho(w, m).finish();
    case "share":
      return w.scalar(m.share).finish();
    case "complaints":
      return w.u16s(m.accused).finish();
    case "answers":
      w.u16(m.answers.length);
      for (const a of m.answers) w.u16(a.complainer).scalar(a.share);
      return w.finish();
    case "reveal":
      return writeReveal(w, m).finish();
  }
}

function read(kind: Kind, r: ByteReader): DkgMessage {
  switch (kind) {
    case "deal": {
      const commitments = r.points(DKG_MAX_MEMBERS);
      if (commitments.length === 0) throw new DecodeError("deal without commitments");
      return { kind, commitments, proof: { R: r.point(), mu: r.scalar() } };
    }
    case "echo":
      return readEcho(r);
    case "share":
      return { kind, share: r.scalar() };
    case "complaints": {
      const accused = r.u16s(DKG_MAX_MEMBERS);
      ascending(accused, "accused ids");
      return { kind, accused };
    }
    case "answers": {
      const count = r.u16();
      if (count > DKG_MAX_MEMBERS) throw new DecodeError("too many answers");
      const answers = Array.from({ length: count }, () => ({ complainer: r.u16(), share: r.scalar() }));
      ascending(
        answers.map((a) => a.complainer),
        "answers",
      );
      return { kind, answers };
    }
    case "reveal":
      return readReveal(r);
  }
}

export const dkgCodec: MessageCodec<DkgMessage> = {
  protocolId: PROTOCOL_IDS.dkg,
  encode: write,
  decode(round, bytes) {
    const allowed = ALLOWED[round];
    if (!allowed) throw new DecodeError(`dkg has no round ${round}`);
    return decodeWith(bytes, (r) => {
      const tag = r.u8();
      const kind = allowed.find((k) => TAG[k] === tag);
      if (!kind) throw new DecodeError(`dkg round ${round} does not accept message tag ${tag}`);
      return read(kind, r);
    });
  },
};

/** How echo.ts sees DKG messages. */
export const dkgEchoAdapter: EchoAdapter<DkgMessage> = {
  lift: (m) => m,
  lower: (m) => (m.kind === "echo" || m.kind === "reveal" ? m : undefined),
  encode: write,
};
