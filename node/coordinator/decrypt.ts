/**
 * Threshold decryption in the node (DESIGN.md §3 "Decrypt"). The combiner (the member whose API got the
 * request) invites the other members of the key; each member reads the payload's on-chain state itself at
 * a confirmed block, decides by policy (node/policy/decrypt-policy.ts), and only then releases a share with
 * its DLEQ proof. The combiner verifies every share, names members whose proof fails, and opens the
 * payload (AES-GCM authentication is the last check) from a quorum of valid shares.
 */
import { getAddress } from "ethers";
import { UnavailableError } from "../adapters/api/errors.js";
import type { Hex } from "../client/types.js";
import { bytesToHex, hexToBytes } from "../crypto/hash.js";
import { decodeTdh2Ciphertext } from "../crypto/tdh2.js";
import { ByteWriter, decodeWith } from "../protocol/codec.js";
import { ParameterError, PolicyError } from "../protocol/errors.js";
import { quorum, type KeyShare } from "../protocol/key-share.js";
import { contractPayloadPolicy, decodeLabel } from "../policy/decrypt-policy.js";
import {
  DecryptionFailedError,
  decryptCodec,
  decryptSessionId,
  startDecryption,
  startMember,
  type DecryptRequestFields,
  type MemberContext,
} from "../protocols/decrypt/index.js";
import { readPayloadState } from "./chain-reads.js";
import type { NodeContext } from "./context.js";
import type { Invitations } from "./invites.js";
import type { Invite } from "./invite.js";
import { awaitKey, onlineMembers, requireKey } from "./keys-util.js";

/** Which on-chain payload a ciphertext is (TDH2 labels name the contract; ECIES needs it explicitly). */
export interface PayloadRef {
  readonly contract?: string;
  readonly id: bigint;
}

interface DecryptParams {
  readonly request: DecryptRequestFields;
  readonly contract: string;
}

const SCHEMES = ["tdh2", "ecies"] as const;

function encodeParams(p: DecryptParams): Uint8Array {
  return new ByteWriter()
    .u8(SCHEMES.indexOf(p.request.scheme))
    .string(p.contract)
    .string(String(p.request.payloadId ?? ""))
    .bytes(p.request.ciphertext)
    .finish();
}

function decodeParams(bytes: Uint8Array, requestId: string): DecryptParams {
  return decodeWith(bytes, (r) => {
    const scheme = SCHEMES[r.u8()];
    if (!scheme) throw new ParameterError("unknown decryption scheme");
    const contract = getAddress(r.string(64));
    const id = r.string(80);
    if (!/^\d+$/.test(id)) throw new ParameterError("payload id expected");
    const ciphertext = r.bytes(16 * 1024 * 1024 + 4096);
    return { contract, request: { scheme, requestId, payloadId: BigInt(id), ciphertext } };
  });
}

/** The contract a request's ciphertext belongs to: from the TDH2 label, else from the caller. */
function contractOf(scheme: "tdh2" | "ecies", ciphertext: Uint8Array, ref: PayloadRef): string {
  if (scheme === "tdh2") {
    const fromLabel = decodeLabel(decodeTdh2Ciphertext(ciphertext).label).contract;
    if (ref.contract && getAddress(ref.contract) !== getAddress(fromLabel)) {
      throw new ParameterError("payload contract differs from the contract the ciphertext's label binds");
    }
    return getAddress(fromLabel);
  }
  if (!ref.contract)
    throw new ParameterError("ecies ciphertexts need `payload.contract` (they carry no label)");
  return getAddress(ref.contract);
}

export class DecryptService {
  constructor(
    private readonly ctx: NodeContext,
    private readonly invitations: Invitations,
  ) {
    invitations.handle("decrypt", (invite, _sid) => this.participate(invite));
  }

  /** A member's view: its share plus a policy fed by its own confirmed chain read. */
  private async memberContext(share: KeyShare, contract: string, payloadId: bigint): Promise<MemberContext> {
    const state = await readPayloadState(this.ctx, contract, payloadId);
    return {
      share,
      policy: contractPayloadPolicy(new Map([[payloadId, state]]), {
        minConfirmations: Math.max(1, this.ctx.confirmations),
        allowUnlabelled: this.ctx.decryption.allowUnlabelled,
      }),
    };
  }

  async decrypt(
    keyId: string,
    ciphertextHex: Hex,
    format: "tdh2" | "ecies",
    requestId: string,
    payload?: PayloadRef,
  ): Promise<{ plaintext: Hex }> {
    if (!payload)
      throw new PolicyError("decryption needs the on-chain payload (`payload.id`) its policy is read from");
    const { groupId, share } = requireKey(this.ctx, keyId, "encryption");
    const ciphertext = hexToBytes(ciphertextHex.slice(2));
    const contract = contractOf(format, ciphertext, payload);
    const request: DecryptRequestFields = { scheme: format, requestId, payloadId: payload.id, ciphertext };
    const need = quorum("encryption", share.public.degree);
    const members = onlineMembers(this.ctx, groupId).filter(
      (id) => id !== share.self && share.public.participants.includes(id),
    );
    if (members.length + 1 < need) {
      throw new UnavailableError(
        `key ${keyId} needs ${need} members online, ${members.length + 1} are`,
        members.length + 1,
        need,
      );
    }
    const local = await this.memberContext(share, contract, payload.id);
    const invite: Invite = {
      kind: "decrypt",
      groupId,
      keyId,
      epoch: share.public.epoch,
      requestId,
      participants: [share.self, ...members].sort((a, b) => a - b),
      coordinator: share.self,
      params: encodeParams({ request, contract }),
    };
    const t0 = this.ctx.clock.now();
    const result = await this.invitations
      .coordinate(
        invite,
        decryptCodec,
        () => startDecryption({ self: share.self, key: share.public, request, members, local }),
        decryptSessionId(share.public, request),
      )
      .catch((e: unknown) => {
        throw asPolicyRefusal(e) ?? e;
      });
    this.ctx.metrics.recordSession("decrypt", "ok", (this.ctx.clock.now() - t0) / 1000);
    if (result.culprits.length > 0) {
      this.ctx.metrics.recordAbort("decrypt", "BAD_SHARE", result.culprits);
      this.ctx.logger.warn(
        { keyId, culprits: result.culprits },
        "decryption shares with invalid proofs were excluded",
      );
    }
    return { plaintext: `0x${bytesToHex(result.plaintext)}` as Hex };
  }

  private async participate(invite: Invite): Promise<void> {
    const { share } = await awaitKey(this.ctx, invite.keyId, "encryption", invite.epoch);
    const { request, contract } = decodeParams(invite.params, invite.requestId);
    const member = await this.memberContext(share, contract, request.payloadId!);
    await this.invitations.run(invite, decryptSessionId(share.public, request), decryptCodec, () =>
      startMember({
        member,
        combiner: invite.coordinator,
        sessionId: decryptSessionId(share.public, request),
      }),
    );
  }
}

/**
 * Members refuse by policy either before the session (a Decline: code POLICY) or inside it (a refusal
 * message the collect round counts): which one the caller sees depended on timing. A quorum missed with
 * policy refusals and no cheater is reported as the policy refusal it is, naming who refused.
 */
function asPolicyRefusal(e: unknown): PolicyError | undefined {
  if (!(e instanceof DecryptionFailedError) || e.culprits.length > 0) return undefined;
  const refused = e.refusals.filter((r) => r.code === "policy");
  if (refused.length === 0) return undefined;
  const members = refused.map((r) => r.member).sort((a, b) => a - b);
  return new PolicyError(
    `decryption refused by policy at members ${members.join(", ")}: ${refused[0].reason}`,
  );
}
