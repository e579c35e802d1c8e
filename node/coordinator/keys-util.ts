/** Small lookups the scheme modules share. */
import { NotFoundError } from "../adapters/api/errors.js";
import { ParameterError, PolicyError } from "../protocol/errors.js";
import type { Scheme } from "../protocol/key-share.js";
import type { NodeContext } from "./context.js";
import type { HeldKey } from "./keyring.js";
import { DeclineError } from "./invites.js";

/** The held key `keyId` of scheme `scheme`, or a typed error saying what is wrong. */
export function requireKey(ctx: NodeContext, keyId: string, scheme: Scheme): HeldKey {
  const held = requireHeldKey(ctx, keyId);
  if (held.share.public.scheme !== scheme) {
    throw new ParameterError(`key ${keyId} is a ${held.share.public.scheme} key, not ${scheme}`);
  }
  return held;
}

/** Member ids of `groupId` that are reachable now (self included), ascending. */
export function onlineMembers(ctx: NodeContext, groupId: string): number[] {
  const connected = new Set(ctx.connectedPeers());
  return ctx.groups
    .get(groupId)
    .members.filter((m) => m.peerId === ctx.peerId || connected.has(m.peerId))
    .map((m) => m.id)
    .sort((a, b) => a - b);
}

/**
 * The held key `keyId`, if this node is (still) a member of its group. A member that a reshare removed
 * stops serving the group's keys as soon as its group directory says so, not only once their shares are
 * erased (which happens one key at a time after: reshare.ts).
 */
export function servedKey(ctx: NodeContext, keyId: string): HeldKey | undefined {
  const held = ctx.keys.get(keyId);
  if (!held) return undefined;
  try {
    return ctx.groups.get(held.groupId).self === null ? undefined : held;
  } catch {
    return undefined; // a group this node does not know (any more)
  }
}

/** The held key `keyId` of any scheme. */
export function requireHeldKey(ctx: NodeContext, keyId: string): HeldKey {
  const held = servedKey(ctx, keyId);
  if (!held) throw new NotFoundError(`this node holds no share of key ${keyId}`);
  if (ctx.keys.disputed.has(keyId)) {
    throw new PolicyError(
      `key ${keyId} is disputed: its registry entry differs from this member's DKG output`,
    );
  }
  return held;
}

/**
 * The held key `keyId` at `epoch`, waiting up to `timeoutMs` for it: an invitation can arrive a few
 * milliseconds before this member has stored the output of the DKG that made the key, or committed the
 * refresh that the coordinator already committed. Declines (DeclineError) if the epochs still differ.
 */
export async function awaitKey(
  ctx: NodeContext,
  keyId: string,
  scheme: Scheme | undefined,
  epoch: number,
  timeoutMs = 5_000,
): Promise<HeldKey> {
  const deadline = ctx.clock.now() + timeoutMs;
  const behind = () => {
    const held = ctx.keys.get(keyId);
    return !held || held.share.public.epoch < epoch;
  };
  while (behind() && ctx.clock.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  const held = scheme ? requireKey(ctx, keyId, scheme) : requireHeldKey(ctx, keyId);
  if (held.share.public.epoch !== epoch) {
    throw new DeclineError(`key ${keyId} is at epoch ${held.share.public.epoch}, not ${epoch}`);
  }
  return held;
}
