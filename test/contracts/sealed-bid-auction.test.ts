/**
 * ConfidentialPayloads through SealedBidAuction: bids encrypted (eciesjs) to an encryption key, reveal
 * requests refused before the deadline, plaintexts accepted only with the group authority's signature
 * (ECDSA or BIP-340), winner computed on-chain. The decrypting "group" is a single key standing in for
 * threshold decryption, which the contract never sees.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { decrypt, encrypt } from "eciesjs";
import { AbiCoder, SigningKey, ZeroAddress, getBytes, keccak256, toUtf8Bytes, type Contract } from "ethers";
import { revealDigest } from "../../node/adapters/chain/record.js";
import { N, ecdsaTestKey, schnorrTestKey, type TestKey } from "./group-keys.js";
import { expectEvent, expectRevert, fixture, increaseTime, latestTimestamp, mined } from "./helpers.js";

const { ethers } = await network.create();
const abi = AbiCoder.defaultAbiCoder();

const Authority = { Ecdsa: 0, Schnorr: 1 } as const;
const Status = { None: 0, Stored: 1, RevealRequested: 2, Revealed: 3 } as const;
const BIDDING = 1_000;
const REVEAL = 2_000;

const authorityKey = ecdsaTestKey("auction-authority");
const schnorrAuthority = schnorrTestKey("auction-schnorr-authority");
/** The group's encryption key, held here as one secret (the test stands in for threshold decryption). */
const encryptionKey = new SigningKey(keccak256(toUtf8Bytes("auction-encryption-key")));

const ecdsaAuthority = (signer = authorityKey.address) => ({ scheme: Authority.Ecdsa, signer, px: 0n });
const bidPlaintext = (amount: bigint) => abi.encode(["uint256"], [amount]);
const encryptBid = (plaintext: string) => encrypt(getBytes(encryptionKey.compressedPublicKey), getBytes(plaintext));

async function deployAuction(authority: { scheme: number; signer: string; px: bigint }): Promise<Contract> {
  const now = await latestTimestamp(ethers);
  return (await ethers.deployContract("SealedBidAuction", [authority, now + BIDDING, now + REVEAL])) as unknown as Contract;
}

const load = fixture(ethers, async () => {
  const [deployer, alice, bob, carol, dave] = await ethers.getSigners();
  const auction = await deployAuction(ecdsaAuthority());
  return { auction, deployer, alice, bob, carol, dave };
});

/** Decrypts payload `id` as the group would and signs the reveal with `signer`. */
async function groupReveal(auction: Contract, id: bigint, signer: TestKey = authorityKey) {
  const payload = await auction.payload(id);
  const plaintext = "0x" + Buffer.from(decrypt(encryptionKey.privateKey.slice(2), getBytes(payload.ciphertext))).toString("hex");
  const digest = await auction.revealDigest(id, keccak256(plaintext));
  return { plaintext, digest, signature: signer.sign(digest) };
}

const bidAs = async (auction: Contract, bidder: Parameters<Contract["connect"]>[0], plaintext: string) => {
  await mined((auction.connect(bidder) as Contract).submitBid(encryptBid(plaintext)));
  return (await auction.payloadCount()) as bigint;
};

describe("ConfidentialPayloads: reveal authority", () => {
  it("accepts a well-formed ECDSA or Schnorr authority and emits RevealAuthoritySet", async () => {
    const { auction } = await load();
    const deployed = await deployAuction({ scheme: Authority.Schnorr, signer: ZeroAddress, px: schnorrAuthority.px });
    const receipt = await deployed.deploymentTransaction()!.wait();
    expectEvent(receipt!, deployed, "RevealAuthoritySet", [BigInt(Authority.Schnorr), ZeroAddress, schnorrAuthority.px]);
    assert.deepEqual([...(await auction.revealAuthority())], [BigInt(Authority.Ecdsa), authorityKey.address, 0n]);
  });

  it("rejects malformed authorities", async () => {
    const { auction } = await load();
    const now = await latestTimestamp(ethers);
    const factory = await ethers.getContractFactory("SealedBidAuction");
    const bad = [
      { scheme: Authority.Ecdsa, signer: ZeroAddress, px: 0n },
      { scheme: Authority.Ecdsa, signer: authorityKey.address, px: 1n },
      { scheme: Authority.Schnorr, signer: authorityKey.address, px: schnorrAuthority.px },
      { scheme: Authority.Schnorr, signer: ZeroAddress, px: 0n },
      { scheme: Authority.Schnorr, signer: ZeroAddress, px: N },
      // x = 5: x³ + 7 = 132 is not a square mod p, so no curve point has it.
      { scheme: Authority.Schnorr, signer: ZeroAddress, px: 5n },
    ];
    for (const authority of bad) {
      await expectRevert(factory.deploy(authority, now + BIDDING, now + REVEAL), auction, "ConfidentialPayloadsInvalidAuthority");
    }
  });
});

describe("SealedBidAuction", () => {
  it("rejects deadlines in the past or a reveal deadline not after the bidding deadline", async () => {
    const { auction } = await load();
    const now = BigInt(await latestTimestamp(ethers));
    const factory = await ethers.getContractFactory("SealedBidAuction");
    for (const [bidding, reveal] of [
      [now - 1n, now + 10n],
      [now + 100n, now + 100n],
    ]) {
      await expectRevert(factory.deploy(ecdsaAuthority(), bidding, reveal), auction, "SealedBidAuctionInvalidDeadlines", [
        bidding,
        reveal,
      ]);
    }
  });

  it("stores an encrypted bid under a bidder-bound label and emits PayloadStored and BidPlaced", async () => {
    const { auction, alice } = await load();
    const ciphertext = encryptBid(bidPlaintext(42n));
    const receipt = await mined((auction.connect(alice) as Contract).submitBid(ciphertext));
    const topic = keccak256(abi.encode(["bytes32", "address"], [await auction.BID_TOPIC(), alice.address]));
    assert.equal(await auction.bidTopic(alice.address), topic);
    expectEvent(receipt, auction, "PayloadStored", [1n, topic, alice.address, keccak256(ciphertext)]);
    expectEvent(receipt, auction, "BidPlaced", [1n, alice.address]);
    const payload = await auction.payload(1n);
    assert.equal(payload.topic, topic);
    assert.equal(payload.submitter, alice.address);
    assert.equal(payload.status, BigInt(Status.Stored));
    assert.equal(payload.ciphertext, ethers.hexlify(ciphertext));
    const [chainId, target, labelTopic] = await auction.payloadLabel(1n);
    assert.equal(chainId, (await ethers.provider.getNetwork()).chainId);
    assert.equal(target, await auction.getAddress());
    assert.equal(labelTopic, topic);
    assert.deepEqual([...(await auction.bidIds())], [1n]);
    assert.equal((await auction.bid(1n)).bidder, alice.address);
  });

  it("rejects a second bid, an empty ciphertext and bids after the deadline", async () => {
    const { auction, alice, bob } = await load();
    await bidAs(auction, alice, bidPlaintext(1n));
    await expectRevert(
      (auction.connect(alice) as Contract).submitBid(encryptBid(bidPlaintext(2n))),
      auction,
      "SealedBidAuctionAlreadyBid",
      [alice.address, 1n],
    );
    await expectRevert((auction.connect(bob) as Contract).submitBid("0x"), auction, "ConfidentialPayloadsEmptyCiphertext");
    await increaseTime(ethers, BIDDING);
    await expectRevert(
      (auction.connect(bob) as Contract).submitBid(encryptBid(bidPlaintext(2n))),
      auction,
      "SealedBidAuctionBiddingClosed",
      [await auction.biddingDeadline()],
    );
  });

  it("early reveal: reveal requests and finalization are refused before the deadline", async () => {
    const { auction, alice } = await load();
    const id = await bidAs(auction, alice, bidPlaintext(10n));
    const deadline = await auction.biddingDeadline();
    await expectRevert(auction.requestReveal(id), auction, "SealedBidAuctionBiddingOpen", [deadline]);
    await expectRevert(auction.requestAllReveals(), auction, "SealedBidAuctionBiddingOpen", [deadline]);
    await expectRevert(auction.finalize(), auction, "SealedBidAuctionBiddingOpen", [deadline]);
    assert.equal(await auction.revealAllowed(id), false);
    // Even a valid group signature cannot reveal a payload whose reveal was never requested.
    const { plaintext, signature } = await groupReveal(auction, id);
    await expectRevert(auction.revealPayload(id, plaintext, signature), auction, "ConfidentialPayloadsUnexpectedStatus", [
      id,
      BigInt(Status.Stored),
    ]);
  });

  it("after the deadline, a reveal request emits RevealRequested with the label and allows the reveal", async () => {
    const { auction, alice } = await load();
    const id = await bidAs(auction, alice, bidPlaintext(10n));
    await increaseTime(ethers, BIDDING);
    const receipt = await mined(auction.requestReveal(id));
    expectEvent(receipt, auction, "RevealRequested", [
      id,
      (await ethers.provider.getNetwork()).chainId,
      await auction.getAddress(),
      await auction.bidTopic(alice.address),
    ]);
    assert.equal(await auction.revealAllowed(id), true);
    assert.equal(await auction.revealAllowed(id + 1n), false);
    await expectRevert(auction.requestReveal(id), auction, "ConfidentialPayloadsUnexpectedStatus", [
      id,
      BigInt(Status.RevealRequested),
    ]);
    await expectRevert(auction.requestReveal(99n), auction, "SealedBidAuctionUnknownBid", [99n]);
  });

  it("accepts the plaintext with the authority's signature, once", async () => {
    const { auction, alice } = await load();
    const id = await bidAs(auction, alice, bidPlaintext(10n));
    await increaseTime(ethers, BIDDING);
    await mined(auction.requestAllReveals());
    const { plaintext, signature, digest } = await groupReveal(auction, id);
    assert.equal(
      digest,
      revealDigest({ chainId: (await ethers.provider.getNetwork()).chainId, target: await auction.getAddress() }, id, plaintext),
    );
    const receipt = await mined(auction.revealPayload(id, plaintext, signature));
    expectEvent(receipt, auction, "PayloadRevealed", [id, plaintext]);
    expectEvent(receipt, auction, "BidRevealed", [id, alice.address, 10n, true]);
    assert.equal((await auction.payload(id)).status, BigInt(Status.Revealed));
    assert.equal(await auction.revealAllowed(id), false);
    await expectRevert(auction.revealPayload(id, plaintext, signature), auction, "ConfidentialPayloadsUnexpectedStatus", [
      id,
      BigInt(Status.Revealed),
    ]);
  });

  it("wrong-signature reveals are rejected: another key, another plaintext, another id", async () => {
    const { auction, alice, bob } = await load();
    const id = await bidAs(auction, alice, bidPlaintext(10n));
    const other = await bidAs(auction, bob, bidPlaintext(20n));
    await increaseTime(ethers, BIDDING);
    await mined(auction.requestAllReveals());
    const { plaintext, digest } = await groupReveal(auction, id);
    const impostor = ecdsaTestKey("impostor").sign(digest);
    await expectRevert(auction.revealPayload(id, plaintext, impostor), auction, "ConfidentialPayloadsInvalidSignature", [
      id,
      digest,
    ]);
    // A lie about the amount, presented with the authority's signature of the true plaintext.
    const lie = bidPlaintext(1_000_000n);
    await expectRevert(
      auction.revealPayload(id, lie, authorityKey.sign(digest)),
      auction,
      "ConfidentialPayloadsInvalidSignature",
    );
    // The signature for bid `id` does not reveal bid `other` with the same plaintext.
    await expectRevert(
      auction.revealPayload(other, plaintext, authorityKey.sign(digest)),
      auction,
      "ConfidentialPayloadsInvalidSignature",
    );
    await expectRevert(auction.revealPayload(7n, plaintext, "0x"), auction, "ConfidentialPayloadsUnknownPayload", [7n]);
  });

  it("cross-contract replay: a reveal signed for another auction is rejected", async () => {
    const { auction, alice } = await load();
    const twin = await deployAuction(ecdsaAuthority());
    const id = await bidAs(auction, alice, bidPlaintext(10n));
    await bidAs(twin, alice, bidPlaintext(10n));
    await increaseTime(ethers, BIDDING);
    await mined(auction.requestAllReveals());
    await mined(twin.requestAllReveals());
    const { plaintext, signature } = await groupReveal(twin, id);
    await expectRevert(auction.revealPayload(id, plaintext, signature), auction, "ConfidentialPayloadsInvalidSignature");
    await mined(twin.revealPayload(id, plaintext, signature));
  });

  it("computes the winner on-chain: highest amount, ties to the earlier bid, malformed bids ignored", async () => {
    const { auction, alice, bob, carol, dave } = await load();
    await bidAs(auction, alice, bidPlaintext(50n));
    const bobId = await bidAs(auction, bob, bidPlaintext(80n));
    await bidAs(auction, carol, bidPlaintext(80n));
    const daveId = await bidAs(auction, dave, "0x1234");
    await increaseTime(ethers, BIDDING);
    await mined(auction.requestAllReveals());
    for (const id of [4n, 3n]) {
      const r = await groupReveal(auction, id);
      await mined(auction.revealPayload(id, r.plaintext, r.signature));
    }
    assert.equal((await auction.bid(daveId)).valid, false);
    await expectRevert(auction.finalize(), auction, "SealedBidAuctionRevealsPending", [2n, await auction.revealDeadline()]);
    for (const id of [2n, 1n]) {
      const r = await groupReveal(auction, id);
      await mined(auction.revealPayload(id, r.plaintext, r.signature));
    }
    const receipt = await mined(auction.finalize());
    expectEvent(receipt, auction, "AuctionFinalized", [bob.address, 80n, bobId]);
    assert.deepEqual([...(await auction.leader())], [bob.address, 80n, bobId, true]);
    await expectRevert(auction.finalize(), auction, "SealedBidAuctionFinalized");
    await expectRevert(auction.requestAllReveals(), auction, "SealedBidAuctionFinalized");
  });

  it("after the reveal deadline, finalize ignores unrevealed bids and closes further reveals", async () => {
    const { auction, alice, bob } = await load();
    await bidAs(auction, alice, bidPlaintext(5n));
    const bobId = await bidAs(auction, bob, bidPlaintext(500n));
    await increaseTime(ethers, BIDDING);
    await mined(auction.requestAllReveals());
    const r = await groupReveal(auction, 1n);
    await mined(auction.revealPayload(1n, r.plaintext, r.signature));
    await increaseTime(ethers, REVEAL);
    const receipt = await mined(auction.finalize());
    expectEvent(receipt, auction, "AuctionFinalized", [alice.address, 5n, 1n]);
    assert.equal(await auction.revealAllowed(bobId), false, "members must stop releasing shares");
    const late = await groupReveal(auction, bobId);
    await expectRevert(auction.revealPayload(bobId, late.plaintext, late.signature), auction, "ConfidentialPayloadsRevealNotAllowed", [
      bobId,
    ]);
  });

  it("finalizes with no winner when nobody bid", async () => {
    const { auction } = await load();
    await increaseTime(ethers, BIDDING);
    const receipt = await mined(auction.finalize());
    expectEvent(receipt, auction, "AuctionFinalized", [ZeroAddress, 0n, 0n]);
  });

  it("accepts BIP-340 reveal signatures from a Schnorr authority", async () => {
    const { alice } = await load();
    const auction = await deployAuction({ scheme: Authority.Schnorr, signer: ZeroAddress, px: schnorrAuthority.px });
    const id = await bidAs(auction, alice, bidPlaintext(77n));
    await increaseTime(ethers, BIDDING);
    await mined(auction.requestReveal(id));
    const wrong = await groupReveal(auction, id, schnorrTestKey("other-schnorr"));
    await expectRevert(auction.revealPayload(id, wrong.plaintext, wrong.signature), auction, "ConfidentialPayloadsInvalidSignature");
    const ecdsaSigned = await groupReveal(auction, id, authorityKey);
    await expectRevert(
      auction.revealPayload(id, ecdsaSigned.plaintext, ecdsaSigned.signature),
      auction,
      "ConfidentialPayloadsInvalidSignature",
    );
    const r = await groupReveal(auction, id, schnorrAuthority);
    await mined(auction.revealPayload(id, r.plaintext, r.signature));
    assert.equal((await auction.bid(id)).amount, 77n);
  });
});
