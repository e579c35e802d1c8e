/**
 * Key generation, driven by the registry (DESIGN.md §3 "Create a group and its keys"): a KeyRequested
 * event makes every member of the group run the DKG for that key (the session id binds chain, registry and
 * key id, so every member derives the same one); then the member with the lowest id publishes the key with
 * a signature by the group over the registry's record. Every member checks the published key against its
 * own DKG output: a mismatch (a corrupt member publishing a key of its own) is logged as an alert and the
 * key is marked disputed, so it is never used here.
 */
import { hexToBytes, bytesToHex } from "../crypto/hash.js";
import { keyRecordOf, memberSetHash } from "../adapters/chain/record.js";
import { startDkg, dkgCodec, dkgSessionId, type DkgOutput } from "../protocols/dkg/index.js";
import { registryPublicKey, type KeyShare, type Scheme } from "../protocol/key-share.js";
import { ProtocolAbortError } from "../protocol/errors.js";
import type { NodeContext } from "./context.js";

/** Signs a 32-byte registry record digest with a key of the group (ecdsa: r‖s‖v; schnorr: Rx‖Ry‖z). */
export type RecordSigner = (groupId: string, signerKeyId: string, digest: Uint8Array) => Promise<Uint8Array>;

export interface KeygenRequest {
  readonly keyId: string;
  readonly groupId: string;
  readonly scheme: Scheme;
  readonly degree: number;
}

export class Keygen {
  private readonly running = new Map<string, Promise<KeyShare>>();
  /** Keys whose published public key differs from our DKG output (kept in the KeyRing). */
  get disputed(): ReadonlySet<string> {
    return this.ctx.keys.disputed;
  }

  constructor(
    private readonly ctx: NodeContext,
    private readonly signRecord: RecordSigner,
  ) {}

  /** Runs the DKG for a requested key (idempotent per key id); publishes if this member is the lowest id. */
  onKeyRequested(req: KeygenRequest): Promise<KeyShare> {
    const existing = this.ctx.keys.get(req.keyId);
    if (existing) return Promise.resolve(existing.share);
    let p = this.running.get(req.keyId);
    if (!p) {
      p = this.generate(req).finally(() => this.running.delete(req.keyId));
      this.running.set(req.keyId, p);
    }
    return p;
  }

  private async generate(req: KeygenRequest): Promise<KeyShare> {
    // Events replay from block 0 after a restart: a key already published needs no DKG (a member that
    // lost its share gets it back by recovery, not by a new DKG).
    const info = await this.ctx.registry.getKey(BigInt(req.keyId));
    if (info.status !== "requested") {
      throw new ProtocolAbortError(`key ${req.keyId} is ${info.status} in the registry; no DKG to run`);
    }
    const group = this.ctx.groups.get(req.groupId);
    if (group.self === null) throw new ProtocolAbortError(`not a member of group ${req.groupId}`);
    const members = group.members.map((m) => m.id);
    const log = this.ctx.logger.child({ keyId: req.keyId, groupId: req.groupId, scheme: req.scheme });
    const sessionId = dkgSessionId({
      scheme: req.scheme,
      keyId: req.keyId,
      degree: req.degree,
      members,
      nonce: `${this.ctx.chainId}:${this.ctx.registryAddress}:${req.keyId}`,
    });
    log.info({ members: members.length, degree: req.degree }, "dkg started");
    const t0 = this.ctx.clock.now();
    let out: DkgOutput;
    try {
      out = await this.ctx.runner.run({
        sessionId,
        codec: dkgCodec,
        self: group.self,
        members: this.ctx.groups.peerMap(req.groupId, members),
        roundTimeoutMs: this.ctx.timeouts.roundMs,
        start: (s) =>
          startDkg({
            scheme: req.scheme,
            keyId: req.keyId,
            degree: req.degree,
            sessionId,
            self: group.self!,
            members,
            verifyFrame: s.verifyFrame,
          }),
      });
    } catch (e) {
      this.ctx.metrics.recordSession("dkg", "abort", (this.ctx.clock.now() - t0) / 1000);
      throw e;
    }
    this.ctx.metrics.recordSession("dkg", "ok", (this.ctx.clock.now() - t0) / 1000);
    if (out.disqualified.size > 0) {
      log.warn({ disqualified: [...out.disqualified.keys()] }, "dkg disqualified dealers");
    }
    await this.ctx.keys.put(req.groupId, out.share);
    const groupKey = registryPublicKey(out.share.public); // public: the key the registry will show
    log.info({ publicKey: bytesToHex(groupKey) }, "dkg done; key stored");
    if (group.self === Math.min(...members)) await this.publish(req, out.share);
    return out.share;
  }

  /** The lowest-id member publishes: record digest signed by the key (or the group's authority key). */
  private async publish(req: KeygenRequest, share: KeyShare): Promise<void> {
    const group = this.ctx.groups.get(req.groupId);
    const signerKeyId = req.scheme === "encryption" ? await this.authorityKey(req.groupId) : req.keyId;
    // Epoch 0, the requested key id and degree: the DKG made `share` for exactly this request.
    const record = keyRecordOf(
      req.groupId,
      share.public,
      memberSetHash(group.members.map((m) => m.operator)),
    );
    const digest = hexToBytes((await this.ctx.registry.recordDigest(record)).slice(2));
    const signature = await this.signRecord(req.groupId, signerKeyId, digest);
    await this.ctx.registry.publishKey({
      keyId: record.keyId,
      publicKey: record.publicKey,
      commitmentDigest: record.commitmentDigest,
      signerKeyId: BigInt(signerKeyId),
      signature,
    });
    this.ctx.logger.info({ keyId: req.keyId }, "key published in the registry");
  }

  /**
   * An ecdsa (preferred) or schnorr key of the group that is active in the registry under the public key
   * we hold: it signs the records of encryption keys.
   */
  async authorityKey(groupId: string): Promise<string> {
    const candidates = this.ctx.keys
      .all()
      .filter(
        (k) =>
          k.groupId === groupId &&
          k.share.public.scheme !== "encryption" &&
          !this.disputed.has(k.share.public.keyId),
      )
      .sort(
        (a, b) => (a.share.public.scheme === "ecdsa" ? 0 : 1) - (b.share.public.scheme === "ecdsa" ? 0 : 1),
      );
    for (const k of candidates) {
      const info = await this.ctx.registry.getKey(BigInt(k.share.public.keyId));
      const ours = `0x${bytesToHex(registryPublicKey(k.share.public))}`;
      if (info.status === "active" && info.publicKey?.toLowerCase() === ours) return k.share.public.keyId;
    }
    throw new ProtocolAbortError(
      `group ${groupId} has no active ecdsa or schnorr key to sign for an encryption key: create one first`,
    );
  }

  /** KeyPublished: compare with our DKG output. */
  onKeyPublished(keyId: string, publicKeyHex: string): void {
    const held = this.ctx.keys.get(keyId);
    if (!held) return;
    const ours = bytesToHex(registryPublicKey(held.share.public));
    if (ours !== publicKeyHex.replace(/^0x/, "").toLowerCase()) {
      this.ctx.keys.disputed.add(keyId);
      this.ctx.logger.error({ keyId, event: "key-dispute" }, "published key differs from our DKG output");
    }
  }
}
