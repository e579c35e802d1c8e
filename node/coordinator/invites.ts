/**
 * Running a session as coordinator or as invited participant.
 *
 * Coordinator: sends the invite to every other participant, then runs its own side of the session; a
 * Decline from any participant fails the request at once with the participant's reason, and an invite
 * that cannot be delivered fails it with InviteUndeliveredError naming the member.
 * Participant: the kind's handler validates the invite (membership, key, epoch, policy) and runs its side;
 * if validation fails it sends a Decline to the coordinator.
 */
import { bytesToHex } from "../crypto/hash.js";
import { PolicyError, ProtocolAbortError, RoundTimeoutError, ShardlessError } from "../protocol/errors.js";
import type { Frame } from "../protocol/frame.js";
import type { MessageCodec, Start } from "../protocol/round.js";
import type { SessionContext } from "../runner/session.js";
import type { NodeContext } from "./context.js";
import { inviteSessionId, type ControlMessage, type Invite, type InviteKind } from "./invite.js";

/**
 * An invite could not be delivered: `missing` is absent from the session before it starts. The
 * coordinators treat it like a member lost mid-session (start over with the members online now); like a
 * timeout, it is not proof of misbehaviour. Same code as the transport's failure (API: UNAVAILABLE).
 */
export class InviteUndeliveredError extends ShardlessError {
  readonly code = "PEER_UNREACHABLE";
  readonly missing: readonly number[];
  constructor(kind: InviteKind, member: number, options?: ErrorOptions) {
    super(`the ${kind} invite could not be delivered to member ${member}`, [], options);
    this.missing = [member];
  }
}

/** A participant refused an invite; carries its code and reason. */
export class DeclinedError extends ShardlessError {
  readonly code: string;
  constructor(
    readonly member: number,
    code: string,
    reason: string,
  ) {
    super(`member ${member} declined: ${reason}`);
    this.code = code === "POLICY" ? "POLICY" : "PROTOCOL_ABORT";
  }
}

export type InviteHandler = (invite: Invite, sessionId: Uint8Array) => Promise<unknown>;

export class Invitations {
  private readonly handlers = new Map<InviteKind, InviteHandler>();
  private readonly waiting = new Map<string, (e: DeclinedError) => void>();
  private readonly done = new Map<string, () => void>();
  /** Invites (by invite session id) whose participant side has joined its protocol session. */
  private readonly joined = new Set<string>();

  constructor(private readonly ctx: NodeContext) {
    ctx.control.onControl((peer, frame, message) => this.onControl(peer, frame, message));
  }

  handle(kind: InviteKind, handler: InviteHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * As coordinator: invite the other participants and run our side. `start` builds our first round.
   */
  coordinate<M, R>(
    invite: Invite,
    codec: MessageCodec<M>,
    start: (ctx: SessionContext) => Start<M, R>,
    protocolSessionId?: Uint8Array,
    awaitDoneFrom?: number,
  ): Promise<R> {
    return this.coordinateWith(
      invite,
      (signal) => this.run(invite, protocolSessionId ?? inviteSessionId(invite), codec, start, signal),
      awaitDoneFrom,
    );
  }

  /**
   * As coordinator: invite the other participants, then run `body` (our side: one or more sessions,
   * with whatever local steps lie between them), failing at once with a participant's Decline
   * whenever it comes while `body` runs. `signal` aborts when this returns.
   */
  async coordinateWith<R>(
    invite: Invite,
    body: (signal: AbortSignal) => Promise<R>,
    awaitDoneFrom?: number,
  ): Promise<R> {
    const sessionId = inviteSessionId(invite);
    const key = bytesToHex(sessionId);
    const declined = new Promise<never>((_, reject) => this.waiting.set(key, reject));
    declined.catch(() => {});
    const finished =
      awaitDoneFrom === undefined ? undefined : new Promise<void>((resolve) => this.done.set(key, resolve));
    const controller = new AbortController();
    try {
      const peers = this.ctx.groups.peerMap(invite.groupId, invite.participants);
      await Promise.all(
        invite.participants
          .filter((id) => id !== invite.coordinator)
          .map((id) =>
            this.ctx.control
              .send(
                peers.get(id)!,
                { sessionId, from: invite.coordinator, to: id },
                { type: "invite", invite },
              )
              .catch((cause: unknown) => {
                throw new InviteUndeliveredError(invite.kind, id, { cause });
              }),
          ),
      );
      const result = await Promise.race([body(controller.signal), declined]);
      if (finished) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new RoundTimeoutError(`${invite.kind} completion`, [awaitDoneFrom!])),
            this.ctx.timeouts.roundMs,
          );
        });
        try {
          await Promise.race([finished, declined, timeout]);
        } finally {
          clearTimeout(timer);
        }
      }
      return result;
    } finally {
      controller.abort();
      this.joined.delete(key);
      this.waiting.delete(key);
      this.done.delete(key);
    }
  }

  /**
   * As participant (or coordinator): run our side of an invited session. `sessionId` is the protocol's
   * own session id when it derives one from the invite's fields (FROST, ECDSA), else the invite's.
   */
  run<M, R>(
    invite: Invite,
    sessionId: Uint8Array,
    codec: MessageCodec<M>,
    start: (ctx: SessionContext) => Start<M, R>,
    signal?: AbortSignal,
  ): Promise<R> {
    const group = this.ctx.groups.get(invite.groupId);
    this.joined.add(bytesToHex(inviteSessionId(invite)));
    return this.ctx.runner.run({
      sessionId,
      codec,
      self: group.self!,
      members: this.ctx.groups.peerMap(invite.groupId, invite.participants),
      start,
      roundTimeoutMs: this.ctx.timeouts.roundMs,
      signal,
    });
  }

  private onControl(peer: string, frame: Frame, message: ControlMessage): void {
    if (message.type === "done") {
      this.done.get(bytesToHex(frame.sessionId))?.();
      return;
    }
    if (message.type === "decline") {
      const reject = this.waiting.get(bytesToHex(frame.sessionId));
      this.ctx.logger.info(
        { member: frame.from, code: message.decline.code, pending: reject !== undefined },
        "invitation declined",
      );
      reject?.(new DeclinedError(frame.from, message.decline.code, message.decline.message));
      return;
    }
    const invite = message.invite;
    // The child logger is made only when there is something to say: pino runs its redaction over a
    // child's bindings as it makes it (~0.1 ms of every online invite in the signers' profiles).
    const warn = (fields: Record<string, unknown>, msg: string) =>
      this.ctx.logger
        .child({ kind: invite.kind, keyId: invite.keyId, requestId: invite.requestId })
        .warn(fields, msg);
    let group;
    try {
      group = this.ctx.groups.get(invite.groupId);
    } catch {
      warn({ peer }, "invite for an unknown group ignored");
      return;
    }
    // The sender must be the member it claims to be, and the coordinator of the invite.
    if (
      this.ctx.groups.memberOfPeer(invite.groupId, peer) !== frame.from ||
      frame.from !== invite.coordinator
    ) {
      warn({ peer, from: frame.from }, "invite from a peer that is not its coordinator ignored");
      return;
    }
    if (group.self === null || !invite.participants.includes(group.self) || frame.to !== group.self) {
      warn({ peer }, "invite that does not include this member ignored");
      return;
    }
    const sessionId = inviteSessionId(invite);
    if (bytesToHex(sessionId) !== bytesToHex(frame.sessionId)) {
      warn({ peer }, "invite whose session id does not bind its fields ignored");
      return;
    }
    const handler = this.handlers.get(invite.kind);
    if (!handler) {
      void this.decline(invite, sessionId, peer, {
        code: "POLICY",
        message: `this node does not run ${invite.kind}`,
      });
      return;
    }
    const key = bytesToHex(sessionId);
    handler(invite, sessionId)
      .catch((e: unknown) => {
        const code = e instanceof ShardlessError ? e.code : "INTERNAL";
        warn({ error: code }, "invited session failed");
        // A failure before our side joined the session (e.g. a pooled presignature this member no longer
        // holds) is a refusal: without a Decline the coordinator would wait out a round timeout. Once
        // joined, the session's own abort or timeout tells the coordinator.
        if (e instanceof PolicyError || e instanceof DeclineError || !this.joined.has(key)) {
          const message = e instanceof ShardlessError ? e.message : "internal error";
          void this.decline(invite, sessionId, peer, { code, message });
        }
      })
      .finally(() => this.joined.delete(key));
  }

  /** As participant: tell the coordinator our side is complete (see `coordinate`'s `awaitDoneFrom`). */
  async notifyDone(invite: Invite): Promise<void> {
    const self = this.ctx.groups.get(invite.groupId).self!;
    const peer = this.ctx.groups.peerMap(invite.groupId, [invite.coordinator]).get(invite.coordinator)!;
    await this.ctx.control.send(
      peer,
      { sessionId: inviteSessionId(invite), from: self, to: invite.coordinator },
      { type: "done" },
    );
  }

  private async decline(
    invite: Invite,
    sessionId: Uint8Array,
    peer: string,
    reason: { code: string; message: string },
  ): Promise<void> {
    const self = this.ctx.groups.get(invite.groupId).self!;
    const decline = { code: reason.code, message: reason.message.slice(0, 500) };
    await this.ctx.control
      .send(peer, { sessionId, from: self, to: invite.coordinator }, { type: "decline", decline })
      .catch((err: unknown) =>
        this.ctx.logger.warn(
          { peer, error: err instanceof Error ? err.name : String(err) },
          "could not send a decline",
        ),
      );
  }
}

/** Thrown by an invite handler that refuses to take part for a reason other than policy. */
export class DeclineError extends ProtocolAbortError {}
