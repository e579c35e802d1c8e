/**
 * ShardlessRegistry: key requests, publication, epoch advances, membership changes and retirement,
 * with every revert, replay and cross-domain attempt. Group keys are single secp256k1 keys standing in
 * for threshold keys: the contract only sees their signatures.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { concat, dataSlice, getBytes, hashMessage, hexlify, type Contract } from "ethers";
import { toChainError } from "../../node/adapters/chain/errors.js";
import { memberSetHash } from "../../node/adapters/chain/record.js";
import { expectEvent, expectRevert, mined } from "./helpers.js";
import { N, P, ecdsaTestKey, encryptionTestKey, schnorrTestKey, word, type TestKey } from "./group-keys.js";
import {
  KeyStatus,
  Scheme,
  commitment,
  digestFor,
  publicationArgs,
  registryFixture,
  requestAndPublish,
  requestKey,
  type RegistryWorld,
} from "./registry-fixture.js";

const { ethers } = await network.create();
const load = registryFixture(ethers);

const ecdsaKey = ecdsaTestKey("registry-ecdsa");
const schnorrKey = schnorrTestKey("registry-schnorr");
const encKey = encryptionTestKey("registry-enc");
const stranger = ecdsaTestKey("registry-stranger");

const as = (registry: Contract, signer: RegistryWorld["admin"]) => registry.connect(signer) as Contract;

/** Signs the record for `keyId` moving to `epoch`/`degree`/`members` with `signer`. */
async function signedAdvance(
  registry: Contract,
  keyId: bigint,
  signer: TestKey,
  fields: { epoch: bigint; commitmentDigest?: string; members?: readonly string[]; degree?: number },
): Promise<{ commitmentDigest: string; signature: string; digest: string }> {
  const info = await registry.getKey(keyId);
  const members = fields.members ?? [...(await registry.groupMembers(info.groupId))];
  const commitmentDigest = fields.commitmentDigest ?? commitment(`${keyId}:${fields.epoch}`);
  const digest = await digestFor(registry, {
    groupId: info.groupId,
    keyId,
    epoch: fields.epoch,
    publicKey: info.publicKey,
    commitmentDigest,
    members,
    degree: fields.degree ?? Number(info.degree),
  });
  return { commitmentDigest, signature: signer.sign(digest), digest };
}

/** A 0x02 public key whose x is on the curve but >= n (valid BIP-340 key that ecrecover cannot take). */
function schnorrKeyWithLargeX(): string {
  const Fp = secp256k1.Point.Fp;
  for (let x = N; ; x++) {
    const rhs = Fp.create(x ** 3n + 7n);
    if (Fp.pow(rhs, (P - 1n) / 2n) === 1n) return concat(["0x02", word(x)]);
  }
}

/** Group 1 with one active key of each scheme (encryption signed by the ECDSA key). */
async function withKeys(world: RegistryWorld) {
  const ecdsaId = await requestAndPublish(world, 1n, ecdsaKey);
  const schnorrId = await requestAndPublish(world, 1n, schnorrKey);
  const encId = await requestAndPublish(world, 1n, encKey, 1, { signer: ecdsaKey, signerKeyId: ecdsaId });
  return { ecdsaId, schnorrId, encId };
}

describe("ShardlessRegistry: requestKey", () => {
  it("records a requested key and emits KeyRequested", async () => {
    const { registry } = await load();
    const receipt = await mined(registry.requestKey(1n, Scheme.Ecdsa, 1));
    expectEvent(receipt, registry, "KeyRequested", [1n, 1n, BigInt(Scheme.Ecdsa), 1n]);
    const key = await registry.getKey(1n);
    assert.equal(key.keyId, 1n);
    assert.equal(key.groupId, 1n);
    assert.equal(key.status, BigInt(KeyStatus.Requested));
    assert.equal(key.epoch, 0n);
    assert.equal(key.publicKey, "0x");
    assert.equal(await registry.keyCount(), 1n);
    assert.deepEqual([...(await registry.groupKeys(1n))], [1n]);
  });

  it("is open to REQUESTER_ROLE, which grants no admin power", async () => {
    const { registry, requester } = await load();
    await mined(as(registry, requester).requestKey(1n, Scheme.Schnorr, 2));
    assert.equal((await registry.getKey(1n)).degree, 2n);
    await expectRevert(as(registry, requester).addMember(requester.address, "p", []), registry, "AccessControlUnauthorizedAccount");
  });

  it("reverts for callers without a role, unknown groups and pending membership changes", async () => {
    const { registry, outsider, ops } = await load();
    await expectRevert(as(registry, outsider).requestKey(1n, 0, 1), registry, "ShardlessRegistryUnauthorizedRequester", [
      outsider.address,
    ]);
    await expectRevert(registry.requestKey(2n, 0, 1), registry, "ShardlessRegistryUnknownGroup", [2n]);
    await mined(registry.requestMembershipChange(1n, [ops[0].address, ops[1].address, ops[3].address]));
    await expectRevert(registry.requestKey(1n, 0, 1), registry, "ShardlessRegistryMembershipChangePending", [1n]);
  });

  it("enforces 1 <= degree < n, and n >= 2t + 1 for ECDSA (n = 3)", async () => {
    const { registry } = await load();
    for (const [scheme, degree] of [
      [Scheme.Ecdsa, 0],
      [Scheme.Ecdsa, 2],
      [Scheme.Schnorr, 0],
      [Scheme.Schnorr, 3],
      [Scheme.Encryption, 3],
      [Scheme.Encryption, 65535],
    ]) {
      await expectRevert(registry.requestKey(1n, scheme, degree), registry, "ShardlessRegistryInvalidDegree", [
        BigInt(scheme),
        BigInt(degree),
        3n,
      ]);
    }
    await mined(registry.requestKey(1n, Scheme.Ecdsa, 1));
    await mined(registry.requestKey(1n, Scheme.Schnorr, 2));
    await mined(registry.requestKey(1n, Scheme.Encryption, 2));
  });

  it("rejects a scheme outside the enum (ABI validation, revert without data)", async () => {
    const { registry } = await load();
    await assert.rejects(registry.requestKey(1n, 3, 1), (e: unknown) => {
      const error = toChainError(e, registry.interface, "requestKey");
      return error.code === "CHAIN_REVERTED" && error.revert === undefined;
    });
    assert.equal(await registry.keyCount(), 0n);
  });
});

describe("ShardlessRegistry: publishKey", () => {
  it("publishes a self-signed ECDSA key, derives its address on-chain and emits KeyPublished", async () => {
    const world = await load();
    const { registry, ops } = world;
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const args = await publicationArgs(registry, keyId, ecdsaKey);
    const receipt = await mined(as(registry, ops[2]).publishKey(...args));
    expectEvent(receipt, registry, "KeyPublished", [
      keyId,
      1n,
      BigInt(Scheme.Ecdsa),
      ecdsaKey.publicKey,
      ecdsaKey.address,
      args[2],
    ]);
    const key = await registry.getKey(keyId);
    assert.equal(key.status, BigInt(KeyStatus.Active));
    assert.equal(key.ethAddress, ecdsaKey.address);
    assert.equal(key.publicKey, ecdsaKey.publicKey);
    assert.equal(key.commitmentDigest, args[2]);
    assert.equal(await registry.currentEpoch(keyId), 0n);
    assert.equal(await registry.keyIdByPublicKey(ecdsaKey.publicKey), keyId);
  });

  it("publishes a self-signed BIP-340 Schnorr key (no Ethereum address)", async () => {
    const world = await load();
    const keyId = await requestAndPublish(world, 1n, schnorrKey, 2);
    const key = await world.registry.getKey(keyId);
    assert.equal(key.status, BigInt(KeyStatus.Active));
    assert.equal(key.ethAddress, ethers.ZeroAddress);
    assert.equal(key.publicKey, schnorrKey.publicKey);
    assert.equal(await world.registry.keyIdByPublicKey(schnorrKey.publicKey), keyId);
  });

  it("publishes an encryption key signed by the group's ECDSA or Schnorr authority key", async () => {
    const world = await load();
    const ecdsaId = await requestAndPublish(world, 1n, ecdsaKey);
    const schnorrId = await requestAndPublish(world, 1n, schnorrKey);
    const enc1 = await requestAndPublish(world, 1n, encKey, 1, { signer: ecdsaKey, signerKeyId: ecdsaId });
    const enc2Key = encryptionTestKey("registry-enc-2");
    const enc2 = await requestAndPublish(world, 1n, enc2Key, 2, { signer: schnorrKey, signerKeyId: schnorrId });
    assert.equal((await world.registry.getKey(enc1)).status, BigInt(KeyStatus.Active));
    assert.equal((await world.registry.getKey(enc2)).publicKey, enc2Key.publicKey);
    assert.deepEqual([...(await world.registry.groupKeys(1n))], [ecdsaId, schnorrId, enc1, enc2]);
  });

  it("keyIdByPublicKey returns 0 for unknown keys, wrong lengths and the negated point", async () => {
    const world = await load();
    await requestAndPublish(world, 1n, ecdsaKey);
    const negated = concat([ecdsaKey.publicKey.startsWith("0x02") ? "0x03" : "0x02", dataSlice(ecdsaKey.publicKey, 1)]);
    assert.equal(await world.registry.keyIdByPublicKey(negated), 0n);
    assert.equal(await world.registry.keyIdByPublicKey(stranger.publicKey), 0n);
    assert.equal(await world.registry.keyIdByPublicKey(dataSlice(ecdsaKey.publicKey, 1)), 0n);
  });

  it("front-running: an outsider cannot publish a key of its own for the group's request", async () => {
    const { registry, outsider } = await load();
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    // A perfectly valid self-signature, by a key only the outsider holds.
    const args = await publicationArgs(registry, keyId, stranger);
    await expectRevert(as(registry, outsider).publishKey(...args), registry, "ShardlessRegistryNotGroupMember", [
      1n,
      outsider.address,
    ]);
  });

  it("a member of another group cannot publish for this group", async () => {
    const { registry, ops } = await load();
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const args = await publicationArgs(registry, keyId, ecdsaKey);
    await expectRevert(as(registry, ops[4]).publishKey(...args), registry, "ShardlessRegistryNotGroupMember", [
      1n,
      ops[4].address,
    ]);
  });

  it("replay: publishing an active or retired key again is rejected", async () => {
    const world = await load();
    const { registry, ops } = world;
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const args = await publicationArgs(registry, keyId, ecdsaKey);
    await mined(as(registry, ops[0]).publishKey(...args));
    await expectRevert(as(registry, ops[1]).publishKey(...args), registry, "ShardlessRegistryUnexpectedKeyStatus", [
      keyId,
      BigInt(KeyStatus.Active),
    ]);
    const other = await requestKey(registry, 1n, schnorrKey);
    await mined(registry.retireKey(other));
    await expectRevert(
      as(registry, ops[0]).publishKey(...(await publicationArgs(registry, other, schnorrKey))),
      registry,
      "ShardlessRegistryUnexpectedKeyStatus",
      [other, BigInt(KeyStatus.Retired)],
    );
  });

  it("reverts for unknown keys and a zero commitment digest", async () => {
    const { registry, ops } = await load();
    await expectRevert(
      as(registry, ops[0]).publishKey(9n, ecdsaKey.publicKey, commitment("x"), 9n, "0x"),
      registry,
      "ShardlessRegistryUnknownKey",
      [9n],
    );
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const args = await publicationArgs(registry, keyId, ecdsaKey, { commitmentDigest: ethers.ZeroHash });
    await expectRevert(as(registry, ops[0]).publishKey(...args), registry, "ShardlessRegistryZeroCommitmentDigest");
  });

  it("rejects malformed public keys: lengths, prefixes, x >= p, x off the curve", async () => {
    const { registry, ops } = await load();
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const x = dataSlice(ecdsaKey.publicKey, 1);
    let offCurveX = 5n;
    const Fp = secp256k1.Point.Fp;
    while (Fp.pow(Fp.create(offCurveX ** 3n + 7n), (P - 1n) / 2n) === 1n) offCurveX++;
    const bad = [
      x,
      concat([ecdsaKey.publicKey, "0x00"]),
      concat(["0x04", x]),
      concat(["0x00", x]),
      concat(["0x02", word(P)]),
      concat(["0x02", word(offCurveX)]),
    ];
    for (const publicKey of bad) {
      await expectRevert(
        as(registry, ops[0]).publishKey(keyId, publicKey, commitment("c"), keyId, ecdsaKey.sign(commitment("c"))),
        registry,
        "ShardlessRegistryInvalidPublicKey",
        [BigInt(Scheme.Ecdsa), publicKey],
      );
    }
  });

  it("rejects Schnorr keys with odd y (0x03) or with x >= n", async () => {
    const { registry, ops } = await load();
    const keyId = await requestKey(registry, 1n, schnorrKey);
    for (const publicKey of [concat(["0x03", dataSlice(schnorrKey.publicKey, 1)]), schnorrKeyWithLargeX()]) {
      await expectRevert(
        as(registry, ops[0]).publishKey(keyId, publicKey, commitment("c"), keyId, "0x"),
        registry,
        "ShardlessRegistryInvalidPublicKey",
        [BigInt(Scheme.Schnorr), publicKey],
      );
    }
  });

  it("one secret, two keys: the same point or its negation cannot be registered twice", async () => {
    const world = await load();
    const { registry, ops } = world;
    const first = await requestAndPublish(world, 1n, ecdsaKey);
    const again = await requestKey(registry, 1n, ecdsaKey);
    await expectRevert(
      as(registry, ops[0]).publishKey(...(await publicationArgs(registry, again, ecdsaKey))),
      registry,
      "ShardlessRegistryPublicKeyTaken",
      [first],
    );
    // The negation −P has the same x: as an encryption key it would share the ECDSA secret up to sign.
    const negated: TestKey = {
      scheme: "encryption",
      publicKey: concat([ecdsaKey.publicKey.startsWith("0x02") ? "0x03" : "0x02", dataSlice(ecdsaKey.publicKey, 1)]),
      sign: () => "0x",
    };
    const enc = await requestKey(registry, 1n, negated);
    await expectRevert(
      as(registry, ops[0]).publishKey(...(await publicationArgs(registry, enc, negated, { signer: ecdsaKey, signerKeyId: first }))),
      registry,
      "ShardlessRegistryPublicKeyTaken",
      [first],
    );
  });

  it("signing keys sign their own records: naming another signer is rejected", async () => {
    const world = await load();
    const { registry, ops } = world;
    const authority = await requestAndPublish(world, 1n, schnorrKey);
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const args = await publicationArgs(registry, keyId, ecdsaKey, { signer: schnorrKey, signerKeyId: authority });
    await expectRevert(as(registry, ops[0]).publishKey(...args), registry, "ShardlessRegistryInvalidSigner", [
      keyId,
      authority,
    ]);
  });

  it("encryption keys never sign: a self-signed encryption record is rejected", async () => {
    const { registry, ops } = await load();
    const keyId = await requestKey(registry, 1n, encKey);
    const args = await publicationArgs(registry, keyId, encKey, { signer: ecdsaKey, signerKeyId: keyId });
    await expectRevert(as(registry, ops[0]).publishKey(...args), registry, "ShardlessRegistryInvalidSigner", [
      keyId,
      keyId,
    ]);
  });

  it("an encryption key's authority must be an active signing key of the same group", async () => {
    const world = await load();
    const { registry, ops } = world;
    await mined(registry.createGroup([ops[3].address, ops[4].address, ops[5].address]));
    const foreign = await requestAndPublish(world, 2n, ecdsaKey, 1, { from: ops[3] });
    const requested = await requestKey(registry, 1n, schnorrKey);
    const retired = await requestAndPublish(world, 1n, stranger);
    await mined(registry.retireKey(retired));
    const authorityKey = schnorrTestKey("authority");
    const otherEnc = await requestAndPublish(world, 1n, encryptionTestKey("other-enc"), 1, {
      signer: authorityKey,
      signerKeyId: await requestAndPublish(world, 1n, authorityKey),
    });
    const keyId = await requestKey(registry, 1n, encKey);
    for (const [signer, signerKeyId] of [
      [ecdsaKey, foreign],
      [schnorrKey, requested],
      [stranger, retired],
      [ecdsaKey, otherEnc],
      [ecdsaKey, 999n],
      [ecdsaKey, 0n],
    ] as const) {
      const args = await publicationArgs(registry, keyId, encKey, { signer, signerKeyId });
      await expectRevert(as(registry, ops[0]).publishKey(...args), registry, "ShardlessRegistryInvalidSigner", [
        keyId,
        signerKeyId,
      ]);
    }
  });

  it("a publication signed by a non-group key is rejected", async () => {
    const world = await load();
    const { registry, ops } = world;
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const args = await publicationArgs(registry, keyId, ecdsaKey, { signer: stranger });
    const digest = await digestFor(registry, {
      groupId: 1n,
      keyId,
      epoch: 0n,
      publicKey: ecdsaKey.publicKey,
      commitmentDigest: args[2],
      members: world.group1,
      degree: 1,
    });
    await expectRevert(as(registry, ops[0]).publishKey(...args), registry, "ShardlessRegistryInvalidSignature", [
      keyId,
      digest,
    ]);
    // Same for an encryption key whose named authority did not make the signature.
    const authority = await requestAndPublish(world, 1n, schnorrKey);
    const enc = await requestKey(registry, 1n, encKey);
    const forged = await publicationArgs(registry, enc, encKey, { signer: schnorrTestKey("impostor"), signerKeyId: authority });
    await expectRevert(as(registry, ops[0]).publishKey(...forged), registry, "ShardlessRegistryInvalidSignature");
  });

  it("the signature binds every record field: commitment digest, degree and member set", async () => {
    const world = await load();
    const { registry, ops } = world;
    const keyId = await requestKey(registry, 1n, schnorrKey);
    const base = { groupId: 1n, keyId, epoch: 0n, publicKey: schnorrKey.publicKey, commitmentDigest: commitment("real") };
    const wrongRecords = [
      { ...base, members: world.group1, degree: 1, commitmentDigest: commitment("other") },
      { ...base, members: world.group1, degree: 2 },
      { ...base, members: [...world.group1].reverse(), degree: 1 },
      { ...base, members: world.group1, degree: 1, epoch: 1n },
    ];
    for (const record of wrongRecords) {
      const signature = schnorrKey.sign(await digestFor(registry, record));
      await expectRevert(
        as(registry, ops[0]).publishKey(keyId, schnorrKey.publicKey, commitment("real"), keyId, signature),
        registry,
        "ShardlessRegistryInvalidSignature",
      );
    }
  });

  it("ECDSA records are signed without the EIP-191 prefix; a prefixed signature is rejected", async () => {
    const { registry, ops, group1 } = await load();
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const [, publicKey, commitmentDigest] = await publicationArgs(registry, keyId, ecdsaKey);
    const digest = await registry.recordDigest(1n, keyId, 0n, publicKey, commitmentDigest, memberSetHash(group1), 1);
    const prefixed = ecdsaKey.signingKey.sign(hashMessage(getBytes(digest))).serialized;
    await expectRevert(
      as(registry, ops[0]).publishKey(keyId, publicKey, commitmentDigest, keyId, prefixed),
      registry,
      "ShardlessRegistryInvalidSignature",
    );
  });

  it("cross-registry replay: a record signed for another deployment is rejected", async () => {
    const world = await load();
    const { registry, ops, admin } = world;
    // A second registry with the same members, group and key ids.
    const twin = (await ethers.deployContract("ShardlessRegistry", [admin.address])) as unknown as Contract;
    for (const [i, op] of ops.slice(0, 3).entries()) await mined(twin.addMember(op.address, `twin-${i}`, []));
    await mined(twin.createGroup(world.group1));
    await mined(twin.requestKey(1n, Scheme.Ecdsa, 1));
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    assert.equal(keyId, 1n);
    const forTwin = await publicationArgs(twin, 1n, ecdsaKey);
    const forThis = await publicationArgs(registry, 1n, ecdsaKey);
    assert.notEqual(forTwin[4], forThis[4]);
    await expectRevert(as(registry, ops[0]).publishKey(...forTwin), registry, "ShardlessRegistryInvalidSignature");
    await mined(as(twin, ops[0]).publishKey(...forTwin));
  });

  it("cross-chain replay: the digest binds the chain id, so a record signed for chain 1 is rejected", async () => {
    const world = await load();
    const { registry, ops } = world;
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    const fields = {
      groupId: 1n,
      keyId,
      epoch: 0n,
      publicKey: ecdsaKey.publicKey,
      commitmentDigest: commitment("c"),
      members: world.group1,
      degree: 1,
    };
    const here = await digestFor(registry, fields);
    const mainnet = await digestFor(registry, fields, 1n);
    assert.notEqual(here, mainnet);
    assert.equal(
      await registry.recordDigest(1n, keyId, 0n, ecdsaKey.publicKey, commitment("c"), memberSetHash(world.group1), 1),
      here,
    );
    await expectRevert(
      as(registry, ops[0]).publishKey(keyId, ecdsaKey.publicKey, commitment("c"), keyId, ecdsaKey.sign(mainnet)),
      registry,
      "ShardlessRegistryInvalidSignature",
      [keyId, here],
    );
  });
});

describe("ShardlessRegistry: advanceEpoch", () => {
  it("advances ECDSA, Schnorr and encryption keys (any submitter) and emits EpochAdvanced", async () => {
    const world = await load();
    const { registry, outsider } = world;
    const { ecdsaId, schnorrId, encId } = await withKeys(world);
    for (const [keyId, signer, signerKeyId, epoch] of [
      [ecdsaId, ecdsaKey, ecdsaId, 1n],
      [schnorrId, schnorrKey, schnorrId, 4n],
      [encId, schnorrKey, schnorrId, 1n],
    ] as const) {
      const { commitmentDigest, signature } = await signedAdvance(registry, keyId, signer, { epoch });
      const receipt = await mined(as(registry, outsider).advanceEpoch(keyId, epoch, commitmentDigest, signerKeyId, signature));
      expectEvent(receipt, registry, "EpochAdvanced", [keyId, 1n, epoch, 1n, commitmentDigest]);
      assert.equal(await registry.currentEpoch(keyId), epoch);
      assert.equal((await registry.getKey(keyId)).commitmentDigest, commitmentDigest);
    }
  });

  it("replay: the same record twice, an equal or a lower epoch are rejected", async () => {
    const world = await load();
    const { registry } = world;
    const { ecdsaId } = await withKeys(world);
    const two = await signedAdvance(registry, ecdsaId, ecdsaKey, { epoch: 2n });
    await mined(registry.advanceEpoch(ecdsaId, 2n, two.commitmentDigest, ecdsaId, two.signature));
    await expectRevert(
      registry.advanceEpoch(ecdsaId, 2n, two.commitmentDigest, ecdsaId, two.signature),
      registry,
      "ShardlessRegistryStaleEpoch",
      [ecdsaId, 2n, 2n],
    );
    const one = await signedAdvance(registry, ecdsaId, ecdsaKey, { epoch: 1n });
    await expectRevert(
      registry.advanceEpoch(ecdsaId, 1n, one.commitmentDigest, ecdsaId, one.signature),
      registry,
      "ShardlessRegistryStaleEpoch",
      [ecdsaId, 2n, 1n],
    );
  });

  it("a publication record (epoch 0) cannot be replayed as an epoch advance", async () => {
    const world = await load();
    const { registry } = world;
    const { schnorrId } = await withKeys(world);
    const zero = await signedAdvance(registry, schnorrId, schnorrKey, { epoch: 0n, commitmentDigest: commitment("0") });
    await expectRevert(
      registry.advanceEpoch(schnorrId, 0n, zero.commitmentDigest, schnorrId, zero.signature),
      registry,
      "ShardlessRegistryStaleEpoch",
    );
    await expectRevert(
      registry.advanceEpoch(schnorrId, 1n, zero.commitmentDigest, schnorrId, zero.signature),
      registry,
      "ShardlessRegistryInvalidSignature",
    );
  });

  it("reverts for unknown, requested and retired keys, zero digests and pending membership changes", async () => {
    const world = await load();
    const { registry, ops } = world;
    const { ecdsaId, schnorrId } = await withKeys(world);
    await expectRevert(registry.advanceEpoch(77n, 1n, commitment("c"), 77n, "0x"), registry, "ShardlessRegistryUnknownKey", [77n]);
    const requested = await requestKey(registry, 1n, stranger);
    await expectRevert(
      registry.advanceEpoch(requested, 1n, commitment("c"), requested, "0x"),
      registry,
      "ShardlessRegistryUnexpectedKeyStatus",
      [requested, BigInt(KeyStatus.Requested)],
    );
    await mined(registry.retireKey(requested));
    await mined(registry.retireKey(schnorrId));
    await expectRevert(
      registry.advanceEpoch(schnorrId, 1n, commitment("c"), schnorrId, "0x"),
      registry,
      "ShardlessRegistryUnexpectedKeyStatus",
      [schnorrId, BigInt(KeyStatus.Retired)],
    );
    const one = await signedAdvance(registry, ecdsaId, ecdsaKey, { epoch: 1n });
    await expectRevert(
      registry.advanceEpoch(ecdsaId, 1n, ethers.ZeroHash, ecdsaId, one.signature),
      registry,
      "ShardlessRegistryZeroCommitmentDigest",
    );
    await mined(registry.requestMembershipChange(1n, [ops[0].address, ops[1].address, ops[3].address]));
    await expectRevert(
      registry.advanceEpoch(ecdsaId, 1n, one.commitmentDigest, ecdsaId, one.signature),
      registry,
      "ShardlessRegistryMembershipChangePending",
      [1n],
    );
  });

  it("rejects signatures by a non-group key, by the wrong signer, and over another epoch", async () => {
    const world = await load();
    const { registry } = world;
    const { ecdsaId, schnorrId, encId } = await withKeys(world);
    const byStranger = await signedAdvance(registry, ecdsaId, stranger, { epoch: 1n });
    await expectRevert(
      registry.advanceEpoch(ecdsaId, 1n, byStranger.commitmentDigest, ecdsaId, byStranger.signature),
      registry,
      "ShardlessRegistryInvalidSignature",
      [ecdsaId, byStranger.digest],
    );
    const bySchnorr = await signedAdvance(registry, ecdsaId, schnorrKey, { epoch: 1n });
    await expectRevert(
      registry.advanceEpoch(ecdsaId, 1n, bySchnorr.commitmentDigest, schnorrId, bySchnorr.signature),
      registry,
      "ShardlessRegistryInvalidSigner",
      [ecdsaId, schnorrId],
    );
    const encSelf = await signedAdvance(registry, encId, ecdsaKey, { epoch: 1n });
    await expectRevert(
      registry.advanceEpoch(encId, 1n, encSelf.commitmentDigest, encId, encSelf.signature),
      registry,
      "ShardlessRegistryInvalidSigner",
      [encId, encId],
    );
    const epoch1 = await signedAdvance(registry, schnorrId, schnorrKey, { epoch: 1n });
    await expectRevert(
      registry.advanceEpoch(schnorrId, 2n, epoch1.commitmentDigest, schnorrId, epoch1.signature),
      registry,
      "ShardlessRegistryInvalidSignature",
    );
  });
});

describe("ShardlessRegistry: membership change (resharing)", () => {
  it("reshares every active key to the new committee with new degrees and epochs", async () => {
    const world = await load();
    const { registry, ops, outsider } = world;
    const { ecdsaId, schnorrId, encId } = await withKeys(world);
    const retired = await requestAndPublish(world, 1n, stranger);
    await mined(registry.retireKey(retired));
    const next = [ops[0].address, ops[1].address, ops[3].address, ops[4].address, ops[5].address];
    const requested = await mined(registry.requestMembershipChange(1n, next));
    expectEvent(requested, registry, "MembershipChangeRequested", [1n, next, memberSetHash(next)]);
    assert.deepEqual([...(await registry.pendingMembers(1n))], next);

    const plan = [
      { keyId: ecdsaId, epoch: 1n, degree: 2, signer: ecdsaKey, signerKeyId: ecdsaId },
      { keyId: schnorrId, epoch: 3n, degree: 3, signer: schnorrKey, signerKeyId: schnorrId },
      { keyId: encId, epoch: 1n, degree: 2, signer: schnorrKey, signerKeyId: schnorrId },
    ];
    const reshares = [];
    for (const p of plan) {
      const { commitmentDigest, signature } = await signedAdvance(registry, p.keyId, p.signer, {
        epoch: p.epoch,
        degree: p.degree,
        members: next,
      });
      reshares.push([p.keyId, p.epoch, p.degree, commitmentDigest, p.signerKeyId, signature]);
    }
    const receipt = await mined(as(registry, outsider).changeMembership(1n, reshares));
    expectEvent(receipt, registry, "MembershipChanged", [1n, next, memberSetHash(next)]);
    assert.equal(receipt.logs.length, 4, "three EpochAdvanced and one MembershipChanged");
    for (const [keyId, epoch, degree, commitmentDigest] of reshares as [bigint, bigint, number, string][]) {
      const key = await registry.getKey(keyId);
      assert.equal(key.epoch, epoch);
      assert.equal(key.degree, BigInt(degree));
      assert.equal(key.commitmentDigest, commitmentDigest);
    }
    assert.deepEqual([...(await registry.groupMembers(1n))], next);
    assert.equal(await registry.groupMemberSetHash(1n), memberSetHash(next));
    assert.equal(await registry.memberIndex(1n, ops[2].address), 0n, "removed member has no index");
    assert.equal(await registry.memberIndex(1n, ops[3].address), 3n);
    assert.deepEqual([...(await registry.pendingMembers(1n))], []);
    assert.equal((await registry.getKey(retired)).epoch, 0n, "retired keys are not reshared");

    // A removed member can no longer publish for the group; the new committee's records now verify.
    const later = await requestKey(registry, 1n, schnorrTestKey("after-change"));
    await expectRevert(
      as(registry, ops[2]).publishKey(...(await publicationArgs(registry, later, schnorrTestKey("after-change")))),
      registry,
      "ShardlessRegistryNotGroupMember",
    );
    await mined(as(registry, ops[4]).publishKey(...(await publicationArgs(registry, later, schnorrTestKey("after-change")))));
  });

  it("a member removed after the request cannot join the committee", async () => {
    const { registry, ops } = await load();
    await mined(registry.requestMembershipChange(1n, [ops[0].address, ops[3].address]));
    await mined(registry.removeMember(ops[3].address));
    await expectRevert(registry.changeMembership(1n, []), registry, "ShardlessRegistryMemberNotActive", [ops[3].address]);
  });

  it("a later request replaces the pending member set", async () => {
    const { registry, ops } = await load();
    await mined(registry.requestMembershipChange(1n, [ops[0].address, ops[3].address]));
    const final = [ops[1].address, ops[4].address, ops[5].address];
    await mined(registry.requestMembershipChange(1n, final));
    await mined(registry.changeMembership(1n, []));
    assert.deepEqual([...(await registry.groupMembers(1n))], final);
  });

  it("requestMembershipChange reverts for unknown groups, pending key generations and bad member lists", async () => {
    const { registry, ops } = await load();
    await expectRevert(registry.requestMembershipChange(3n, []), registry, "ShardlessRegistryUnknownGroup", [3n]);
    await expectRevert(
      registry.requestMembershipChange(1n, [ops[0].address, ops[0].address]),
      registry,
      "ShardlessRegistryDuplicateMember",
    );
    await expectRevert(registry.requestMembershipChange(1n, [ops[0].address]), registry, "ShardlessRegistryInvalidGroupSize");
    const keyId = await requestKey(registry, 1n, ecdsaKey);
    await expectRevert(
      registry.requestMembershipChange(1n, [ops[0].address, ops[1].address]),
      registry,
      "ShardlessRegistryKeyGenerationPending",
      [1n, keyId],
    );
  });

  it("changeMembership rejects missing, extra and reordered reshares", async () => {
    const world = await load();
    const { registry, ops } = world;
    const { ecdsaId, schnorrId, encId } = await withKeys(world);
    const next = [ops[0].address, ops[1].address, ops[3].address];
    await expectRevert(registry.changeMembership(1n, []), registry, "ShardlessRegistryNoMembershipChangePending", [1n]);
    await mined(registry.requestMembershipChange(1n, next));
    const reshare = async (keyId: bigint, signer: TestKey, signerKeyId: bigint) => {
      const { commitmentDigest, signature } = await signedAdvance(registry, keyId, signer, { epoch: 1n, members: next });
      return [keyId, 1n, 1, commitmentDigest, signerKeyId, signature];
    };
    const e = await reshare(ecdsaId, ecdsaKey, ecdsaId);
    const s = await reshare(schnorrId, schnorrKey, schnorrId);
    const x = await reshare(encId, ecdsaKey, ecdsaId);
    await expectRevert(registry.changeMembership(1n, [e, s]), registry, "ShardlessRegistryReshareMismatch", [1n, encId, 0n]);
    await expectRevert(registry.changeMembership(1n, [e, x, s]), registry, "ShardlessRegistryReshareMismatch", [
      1n,
      schnorrId,
      encId,
    ]);
    await expectRevert(registry.changeMembership(1n, [e, s, x, e]), registry, "ShardlessRegistryReshareMismatch", [
      1n,
      0n,
      ecdsaId,
    ]);
    await mined(registry.changeMembership(1n, [e, s, x]));
    // Replay of the completed change: nothing is pending any more.
    await expectRevert(registry.changeMembership(1n, [e, s, x]), registry, "ShardlessRegistryNoMembershipChangePending");
  });

  it("changeMembership validates degree, epoch, digest and the signature over the NEW member set", async () => {
    const world = await load();
    const { registry, ops } = world;
    const ecdsaId = await requestAndPublish(world, 1n, ecdsaKey);
    const next = [ops[0].address, ops[1].address, ops[3].address, ops[4].address];
    await mined(registry.requestMembershipChange(1n, next));
    const make = async (fields: { epoch: bigint; degree: number; members?: readonly string[]; digest?: string }) => {
      const signed = await signedAdvance(registry, ecdsaId, ecdsaKey, {
        epoch: fields.epoch,
        degree: fields.degree,
        members: fields.members ?? next,
        commitmentDigest: fields.digest,
      });
      return [[ecdsaId, fields.epoch, fields.degree, signed.commitmentDigest, ecdsaId, signed.signature]];
    };
    // n = 4 allows ECDSA degree 1 only (2t + 1 <= n).
    await expectRevert(registry.changeMembership(1n, await make({ epoch: 1n, degree: 2 })), registry, "ShardlessRegistryInvalidDegree", [
      BigInt(Scheme.Ecdsa),
      2n,
      4n,
    ]);
    await expectRevert(registry.changeMembership(1n, await make({ epoch: 0n, degree: 1 })), registry, "ShardlessRegistryStaleEpoch", [
      ecdsaId,
      0n,
      0n,
    ]);
    await expectRevert(
      registry.changeMembership(1n, await make({ epoch: 1n, degree: 1, digest: ethers.ZeroHash })),
      registry,
      "ShardlessRegistryZeroCommitmentDigest",
    );
    // A record for the old committee (which still includes the member being removed) does not count.
    await expectRevert(
      registry.changeMembership(1n, await make({ epoch: 1n, degree: 1, members: world.group1 })),
      registry,
      "ShardlessRegistryInvalidSignature",
    );
    await mined(registry.changeMembership(1n, await make({ epoch: 1n, degree: 1 })));
  });
});

describe("ShardlessRegistry: retireKey", () => {
  it("retires active and requested keys (KeyRetired) and keeps the public key reserved", async () => {
    const world = await load();
    const { registry, ops } = world;
    const active = await requestAndPublish(world, 1n, ecdsaKey);
    const receipt = await mined(registry.retireKey(active));
    expectEvent(receipt, registry, "KeyRetired", [active, 1n]);
    assert.equal((await registry.getKey(active)).status, BigInt(KeyStatus.Retired));
    assert.equal(await registry.keyIdByPublicKey(ecdsaKey.publicKey), active);
    const requested = await requestKey(registry, 1n, ecdsaKey);
    await expectRevert(
      as(registry, ops[0]).publishKey(...(await publicationArgs(registry, requested, ecdsaKey))),
      registry,
      "ShardlessRegistryPublicKeyTaken",
      [active],
    );
    await mined(registry.retireKey(requested));
    assert.equal((await registry.getKey(requested)).status, BigInt(KeyStatus.Retired));
  });

  it("reverts for unknown and already retired keys", async () => {
    const { registry } = await load();
    await expectRevert(registry.retireKey(1n), registry, "ShardlessRegistryUnknownKey", [1n]);
    await mined(registry.requestKey(1n, Scheme.Schnorr, 1));
    await mined(registry.retireKey(1n));
    await expectRevert(registry.retireKey(1n), registry, "ShardlessRegistryUnexpectedKeyStatus", [
      1n,
      BigInt(KeyStatus.Retired),
    ]);
  });
});

describe("ShardlessRegistry: views", () => {
  it("getKey and currentEpoch revert for key 0 and unknown ids", async () => {
    const { registry } = await load();
    for (const keyId of [0n, 1n]) {
      await expectRevert(registry.getKey(keyId), registry, "ShardlessRegistryUnknownKey", [keyId]);
      await expectRevert(registry.currentEpoch(keyId), registry, "ShardlessRegistryUnknownKey", [keyId]);
    }
  });

  it("recordDigest changes with every field", async () => {
    const { registry, group1 } = await load();
    const base = [1n, 1n, 0n, ecdsaKey.publicKey, commitment("c"), memberSetHash(group1), 1] as const;
    const digest = await registry.recordDigest(...base);
    const variants = [
      [2n, ...base.slice(1)],
      [base[0], 2n, ...base.slice(2)],
      [...base.slice(0, 2), 1n, ...base.slice(3)],
      [...base.slice(0, 3), schnorrKey.publicKey, ...base.slice(4)],
      [...base.slice(0, 4), commitment("d"), ...base.slice(5)],
      [...base.slice(0, 5), memberSetHash([...group1].reverse()), base[6]],
      [...base.slice(0, 6), 2],
    ];
    const seen = new Set([digest]);
    for (const v of variants) seen.add(await registry.recordDigest(...v));
    assert.equal(seen.size, variants.length + 1);
    assert.equal(hexlify(getBytes(digest)).length, 66);
  });
});
