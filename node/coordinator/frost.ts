/**
 * FROST signing in the node (specs/protocols.md §7): the member whose API received the request
 * coordinates; it signs too, picks `degree` other connected members, invites them, and runs the two-round
 * protocol. A member whose share fails verification is named by the aggregation and the request is
 * retried without it (and without members that timed out) while a quorum remains.
 *
 * The signature is verified against the group key inside the protocol before it is returned.
 */
import { UnavailableError } from "../adapters/api/errors.js";
import type { Hex, SignPayload, SignResult } from "../client/types.js";
import { bytesToHex, hexToBytes } from "../crypto/hash.js";
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { ParameterError, RoundTimeoutError, ShardlessError } from "../protocol/errors.js";
import {
  MAX_SIGNING_ATTEMPTS,
  attemptRequestId,
  encodeSchnorrForContract,
  frostCodec,
  frostSessionId,
  startFrostCoordinator,
  startFrostSigner,
  type FrostSessionParams,
  type FrostVariant,
} from "../protocols/frost/index.js";
import { quorum } from "../protocol/key-share.js";
import type { NodeContext } from "./context.js";
import { InviteUndeliveredError, type Invitations } from "./invites.js";
import type { Invite } from "./invite.js";
import type { SignGate } from "./sign-gate.js";
import { parseSignIntent } from "../policy/approvals/intent.js";
import { awaitKey, requireKey, onlineMembers } from "./keys-util.js";

const VARIANTS: readonly FrostVariant[] = ["bip340", "rfc9591"];

/** Invite parameters: the variant and the request payload itself (each signer derives the message). */
function encodeParams(variant: FrostVariant, payload: SignPayload): Uint8Array {
  return new ByteWriter().u8(VARIANTS.indexOf(variant)).string(JSON.stringify(payload)).finish();
}

function decodeParams(bytes: Uint8Array): { variant: FrostVariant; payload: SignPayload } {
  return decodeWith(bytes, (r) => {
    const variant = VARIANTS[r.u8()];
    if (!variant) throw new ParameterError("unknown FROST variant");
    return { variant, payload: JSON.parse(r.string(1 << 20)) as SignPayload };
  });
}

/** The digest approvals bind for a schnorr request (parseSignIntent with the schnorr scheme). */
const gateDigest = (payload: SignPayload) => parseSignIntent(payload, { scheme: "schnorr" }).digest;

/** Approvals bind the API request id; retries run as `<id>/attempt-<n>` (frost/retry.ts). */
const baseRequestId = (id: string) => id.replace(/\/attempt-\d+$/, "");

/** The bytes a schnorr key signs for a request: a 32-byte digest or a raw message. */
function messageOf(payload: SignPayload): Uint8Array {
  if (payload.kind === "digest") return hexToBytes(payload.digest.slice(2));
  if (payload.kind === "message") return hexToBytes(payload.message.slice(2));
  throw new ParameterError(`schnorr keys sign digests and messages, not ${payload.kind}`);
}

export class FrostService {
  constructor(
    private readonly ctx: NodeContext,
    private readonly invitations: Invitations,
    private readonly gate: SignGate,
  ) {
    invitations.handle("frost-sign", (invite) => this.participate(invite));
  }

  async sign(keyId: string, payload: SignPayload, requestId: string): Promise<SignResult> {
    const variant = payload.variant ?? "bip340";
    if (!VARIANTS.includes(variant)) throw new ParameterError(`unknown variant ${variant}`);
    const sig = await this.signMessage(keyId, payload, variant, requestId);
    return {
      keyId,
      epoch: sig.epoch,
      digest: `0x${bytesToHex(sig.message)}` as Hex,
      signature: `0x${bytesToHex(sig.signature)}` as Hex,
      R: {
        x: `0x${sig.R.x.toString(16).padStart(64, "0")}` as Hex,
        y: `0x${sig.R.y.toString(16).padStart(64, "0")}` as Hex,
      },
    };
  }

  /** Signs a registry record digest; returns the contract encoding Rx ‖ Ry ‖ z. */
  async signRecord(keyId: string, digest: Uint8Array): Promise<Uint8Array> {
    const payload: SignPayload = { kind: "digest", digest: `0x${bytesToHex(digest)}` as Hex };
    const sig = await this.signMessage(keyId, payload, "bip340", `record-${bytesToHex(digest)}`);
    return encodeSchnorrForContract(sig.signature);
  }

  private async signMessage(keyId: string, payload: SignPayload, variant: FrostVariant, requestId: string) {
    const { groupId, share } = requireKey(this.ctx, keyId, "schnorr");
    const message = messageOf(payload);
    const epoch = share.public.epoch;
    await this.gate.check({
      keyId,
      groupId,
      epoch,
      scheme: "schnorr",
      payload,
      requestId,
      digest: gateDigest(payload),
    });
    const need = quorum("schnorr", share.public.degree);
    const online = onlineMembers(this.ctx, groupId).filter((id) => share.public.participants.includes(id));
    // The coordinator always signs: put itself first in the candidate set.
    const others = online.filter((id) => id !== share.self);
    let signers = [share.self, ...others.slice(0, need - 1)].sort((a, b) => a - b);
    if (signers.length < need) {
      throw new UnavailableError(
        `schnorr key ${keyId} needs ${need} members online, ${online.length} are`,
        online.length,
        need,
      );
    }
    const excluded: number[] = [];
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_SIGNING_ATTEMPTS; attempt++) {
      const session: FrostSessionParams = {
        variant,
        requestId: attemptRequestId(requestId, attempt),
        coordinator: share.self,
        signers,
        message,
      };
      const invite: Invite = {
        kind: "frost-sign",
        groupId,
        keyId,
        epoch: share.public.epoch,
        requestId: session.requestId,
        participants: signers,
        coordinator: share.self,
        params: encodeParams(variant, payload),
      };
      const t0 = this.ctx.clock.now();
      try {
        const result = await this.invitations.coordinate(
          invite,
          frostCodec,
          () => startFrostCoordinator({ key: share, session }),
          frostSessionId(share.public, session),
        );
        this.ctx.metrics.recordSession("frost-sign", "ok", (this.ctx.clock.now() - t0) / 1000);
        if (result.role !== "coordinator")
          throw new ParameterError("coordinator session returned no signature");
        return { ...result.signature, R: result.signature.R.toAffine() };
      } catch (e) {
        lastError = e;
        const blamed =
          e instanceof RoundTimeoutError || e instanceof InviteUndeliveredError
            ? [...e.missing]
            : e instanceof ShardlessError
              ? [...e.culprits]
              : [];
        this.ctx.metrics.recordAbort("frost-sign", e instanceof ShardlessError ? e.code : "INTERNAL", blamed);
        if (blamed.length === 0 || blamed.includes(share.self)) throw e;
        excluded.push(...blamed);
        const candidates = online.filter((id) => !excluded.includes(id) && id !== share.self);
        if (candidates.length < need - 1) throw e;
        signers = [share.self, ...candidates.slice(0, need - 1)].sort((a, b) => a - b);
        this.ctx.logger.warn({ keyId, excluded, attempt }, "frost signing retried without blamed members");
      }
    }
    throw lastError;
  }

  private async participate(invite: Invite): Promise<void> {
    const { share } = await awaitKey(this.ctx, invite.keyId, "schnorr", invite.epoch);
    const { variant, payload } = decodeParams(invite.params);
    const message = messageOf(payload);
    await this.gate.check({
      keyId: invite.keyId,
      groupId: invite.groupId,
      epoch: invite.epoch,
      scheme: "schnorr",
      payload,
      requestId: baseRequestId(invite.requestId),
      digest: gateDigest(payload),
    });
    const session: FrostSessionParams = {
      variant,
      requestId: invite.requestId,
      coordinator: invite.coordinator,
      signers: invite.participants,
      message,
    };
    await this.invitations.run(invite, frostSessionId(share.public, session), frostCodec, () =>
      startFrostSigner({ keyShare: share, session }),
    );
  }
}
