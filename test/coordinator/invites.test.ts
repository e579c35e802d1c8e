/**
 * Invitations (node/coordinator/invites.ts) between in-process members over a memory network: a
 * participant that fails before joining the session (whatever the error) declines, so the coordinator
 * fails at once with DeclinedError instead of waiting out a round timeout; a participant that joined and
 * then fails does not decline (the session's own abort or timeout tells the coordinator).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MemoryNetwork } from "../../node/adapters/memory/index.js";
import { ControlChannel } from "../../node/coordinator/control-channel.js";
import type { NodeContext } from "../../node/coordinator/context.js";
import type { Invite } from "../../node/coordinator/invite.js";
import { DeclinedError, InviteUndeliveredError, Invitations } from "../../node/coordinator/invites.js";
import { ed25519Authenticator } from "../../node/crypto/identity.js";
import { ConsumedError, RoundTimeoutError } from "../../node/protocol/errors.js";
import { silentLogger } from "../../node/runner/ports.js";
import { Runner } from "../../node/runner/runner.js";
import { liveClock, peerOf, publicKeyOf, seedOf } from "../runner/harness.js";
import { toyCodec, toyStart } from "../runner/toy-protocol.js";

const GROUP = "7";
const IDS = [1, 2];
/** Short enough for the "joined, then failed" case to end by timeout; a missing decline shows as one. */
const ROUND_MS = 1_500;

function member(net: MemoryNetwork, id: number): Invitations {
  const transport = net.transport(peerOf(id));
  const auth = ed25519Authenticator(seedOf(id), publicKeyOf);
  const control = new ControlChannel(transport, auth, silentLogger);
  const runner = new Runner({ transport: control.protocolTransport, auth, clock: liveClock });
  const members = IDS.map((m) => ({ id: m, peerId: peerOf(m), operator: "0x", multiaddrs: [] }));
  const groups = {
    get: () => ({ groupId: GROUP, members, self: id }),
    peerMap: (_g: string, ids: readonly number[]) => new Map(ids.map((m) => [m, peerOf(m)])),
    memberOfPeer: (_g: string, peer: string) => members.find((m) => m.peerId === peer)?.id ?? null,
  };
  const ctx = {
    control,
    runner,
    groups,
    logger: silentLogger,
    clock: liveClock,
    timeouts: { roundMs: ROUND_MS, sessionMs: 10 * ROUND_MS, requestMs: 10 * ROUND_MS },
  } as unknown as NodeContext;
  return new Invitations(ctx);
}

const invite = (requestId: string): Invite => ({
  kind: "ecdsa-sign",
  groupId: GROUP,
  keyId: "1",
  epoch: 0,
  requestId,
  participants: IDS,
  coordinator: 1,
  params: new Uint8Array(0),
});

describe("invitations: declines", () => {
  it("a participant failing before it joins (a presignature it no longer holds) declines at once", async () => {
    const net = new MemoryNetwork();
    const coordinator = member(net, 1);
    const participant = member(net, 2);
    participant.handle("ecdsa-sign", async () => {
      throw new ConsumedError("presignature p-1 is not available here");
    });
    await assert.rejects(
      coordinator.coordinate(invite("lost-presignature"), toyCodec, (s) => toyStart(s)),
      (e: unknown) => e instanceof DeclinedError && e.member === 2,
    );
  });

  it("a participant failing after it joined does not decline: the coordinator sees the session end", async () => {
    const net = new MemoryNetwork();
    const coordinator = member(net, 1);
    const participant = member(net, 2);
    participant.handle("ecdsa-sign", async (inv, sid) => {
      // Joins with a session id the coordinator does not use, so its side never completes, then fails.
      const other = new Uint8Array(sid.length).fill(0xee);
      await participant.run(inv, other, toyCodec, (s) => toyStart(s)).catch(() => {});
      throw new ConsumedError("failed after joining");
    });
    await assert.rejects(
      coordinator.coordinate(invite("joined-then-failed"), toyCodec, (s) => toyStart(s)),
      (e: unknown) => e instanceof RoundTimeoutError,
    );
  });
});

describe("invitations: delivery", () => {
  it("an invite that cannot be delivered fails at once with InviteUndeliveredError naming the member", async () => {
    const net = new MemoryNetwork();
    const coordinator = member(net, 1);
    member(net, 2);
    net.crash(peerOf(2));
    let ran = false;
    const started = Date.now();
    await assert.rejects(
      coordinator.coordinateWith(invite("unreachable"), async () => {
        ran = true;
        return null;
      }),
      (e: unknown) =>
        e instanceof InviteUndeliveredError &&
        e.code === "PEER_UNREACHABLE" &&
        e.culprits.length === 0 && // not proof of misbehaviour
        e.missing.length === 1 &&
        e.missing[0] === 2 &&
        e.message.includes("could not be delivered to member 2"),
    );
    assert.equal(ran, false, "our side never starts without the participant's invite");
    assert.ok(Date.now() - started < ROUND_MS, "no round timeout waited out");
  });
});
