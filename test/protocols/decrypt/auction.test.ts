/**
 * The sealed-bid auction end to end with threshold decryption: bids encrypted with encryptForContract
 * (TDH2, label = chain id, auction address, bidTopic(bidder)) to a dealt 2-of-3 group key; members decide
 * with decideDecryption fed by the contract's views (a stand-in for the chain adapter); the combiner runs
 * the decrypt protocol; the reveal is posted with a signature by a single test key configured as the
 * group's reveal authority (the threshold signer is not part of this test).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import {
  AbiCoder,
  SigningKey,
  computeAddress,
  getBytes,
  hexlify,
  keccak256,
  toUtf8Bytes,
  type Contract,
} from "ethers";
import { encryptForContract, inspectCiphertext } from "../../../node/client/encryption.js";
import { contractPayloadPolicy, type DecryptChainState } from "../../../node/policy/decrypt-policy.js";
import type { DecryptionResult } from "../../../node/protocols/decrypt/index.js";
import { failure, run, setup } from "./fixture.js";

const { ethers } = await network.create();
const abi = AbiCoder.defaultAbiCoder();
const BIDDING = 1_000;
const REVEAL = 2_000;

const group = setup(1, 3, "auction-group");
const authority = new SigningKey(keccak256(toUtf8Bytes("shardless auction test authority")));
const impostor = new SigningKey(keccak256(toUtf8Bytes("not the authority")));
const COMBINER = 4;

async function latest(): Promise<number> {
  return (await ethers.provider.getBlock("latest"))!.timestamp;
}

async function increaseTime(seconds: number): Promise<void> {
  await ethers.provider.send("evm_increaseTime", [seconds]);
  await ethers.provider.send("evm_mine", []);
}

/** Asserts `promise` reverts with custom error `name` of `contract`. */
async function expectRevert(promise: Promise<unknown>, contract: Contract, name: string): Promise<void> {
  try {
    await promise;
  } catch (e) {
    const data = (e as { data?: string }).data ?? (e as { error?: { data?: string } }).error?.data;
    const parsed =
      (e as { revert?: { name: string } }).revert ?? (data ? contract.interface.parseError(data) : null);
    assert.equal(parsed?.name, name, `expected ${name}, got ${String(e)}`);
    return;
  }
  assert.fail(`expected a revert with ${name}`);
}

/** The chain adapter's job, done inline: read payload `id`'s views at one block. */
async function readChainState(auction: Contract, id: bigint): Promise<DecryptChainState> {
  const blockTag = await ethers.provider.getBlockNumber();
  const [chainId, target, topic] = await auction.payloadLabel(id, { blockTag });
  const revealAllowed: boolean = await auction.revealAllowed(id, { blockTag });
  const stored = await auction.payload(id, { blockTag });
  return {
    chainId,
    contract: target,
    payloadId: id,
    topic,
    revealAllowed,
    ciphertextHash: keccak256(stored.ciphertext),
    blockNumber: blockTag,
    confirmations: 1,
  };
}

/** Members 1..3 each apply the contract policy to their own chain read; combiner 4 asks all three. */
async function thresholdDecrypt(auction: Contract, id: bigint) {
  const policy = contractPayloadPolicy(new Map([[id, await readChainState(auction, id)]]));
  const ciphertext = getBytes((await auction.payload(id)).ciphertext);
  const sim = run(
    group,
    { scheme: "tdh2", requestId: `reveal-${id}`, payloadId: id, ciphertext },
    {
      combiner: COMBINER,
      members: [1, 2, 3],
      policies: new Map([1, 2, 3].map((m) => [m, policy])),
    },
  );
  return sim.outcomes.get(COMBINER)!;
}

describe("sealed-bid auction with threshold-decrypted bids", () => {
  it("refuses early reveals, decrypts after the deadline, rejects a wrong signature, finds the winner", async () => {
    const [, alice, bob, carol, dave] = await ethers.getSigners();
    const now = await latest();
    const auction = (await ethers.deployContract("SealedBidAuction", [
      { scheme: 0, signer: computeAddress(authority.publicKey), px: 0n },
      now + BIDDING,
      now + REVEAL,
    ])) as unknown as Contract;
    const address = await auction.getAddress();
    const { chainId } = await ethers.provider.getNetwork();

    // Bids: each encrypted to the group key under its bidder's topic.
    const amounts = new Map([
      [alice, 300n],
      [bob, 500n],
      [carol, 400n],
    ]);
    const ciphertexts = new Map<string, Uint8Array>();
    for (const [bidder, amount] of amounts) {
      const topic: string = await auction.bidTopic(bidder.address);
      const ct = encryptForContract(
        { chainId, contract: address, topic },
        getBytes(abi.encode(["uint256"], [amount])),
        group.groupKey,
      );
      assert.equal(inspectCiphertext(ct).label?.topic, topic);
      ciphertexts.set(bidder.address, ct);
      await (await (auction.connect(bidder) as Contract).submitBid(ct)).wait();
    }
    // Dave copies Bob's ciphertext: stored under Dave's topic, so its label does not match.
    await (await (auction.connect(dave) as Contract).submitBid(ciphertexts.get(bob.address)!)).wait();
    const ids: bigint[] = [...(await auction.bidIds())];
    assert.equal(ids.length, 4);

    // Before the deadline: the contract refuses the reveal request and every member refuses a share.
    await expectRevert(auction.requestReveal(ids[0]), auction, "SealedBidAuctionBiddingOpen");
    const earlyError = failure(await thresholdDecrypt(auction, ids[0]));
    assert.deepEqual(
      earlyError.refusals.map((r) => [r.member, r.code, r.reason]),
      [1, 2, 3].map((m) => [m, "policy", "reveal-not-allowed"]),
    );

    await increaseTime(BIDDING);
    await (await auction.requestAllReveals()).wait();

    // Dave's copy: reveal is allowed for his payload id, but the ciphertext's label names Bob's topic.
    assert.deepEqual(
      failure(await thresholdDecrypt(auction, ids[3])).refusals.map((r) => r.reason),
      ["wrong-topic", "wrong-topic", "wrong-topic"],
    );

    const typehash: string = await auction.REVEAL_TYPEHASH();
    for (const id of ids.slice(0, 3)) {
      const outcome = await thresholdDecrypt(auction, id);
      assert.equal(outcome.kind, "done");
      const result = outcome.result as DecryptionResult;
      const plaintext = hexlify(result.plaintext);
      const digest: string = await auction.revealDigest(id, keccak256(plaintext));
      // The digest has exactly the documented form.
      assert.equal(
        digest,
        keccak256(
          abi.encode(
            ["bytes32", "uint256", "address", "uint256", "bytes32"],
            [typehash, chainId, address, id, keccak256(plaintext)],
          ),
        ),
      );
      await expectRevert(
        auction.revealPayload(id, plaintext, impostor.sign(digest).serialized),
        auction,
        "ConfidentialPayloadsInvalidSignature",
      );
      await (await auction.revealPayload(id, plaintext, authority.sign(digest).serialized)).wait();
    }

    for (const [bidder, amount] of amounts) {
      const bid = await auction.bid(ids[[...amounts.keys()].indexOf(bidder)]);
      assert.equal(bid.revealed, true);
      assert.equal(bid.amount, amount);
    }
    // Dave's copied bid never revealed: finalize waits for the reveal deadline, then Bob wins.
    await expectRevert(auction.finalize(), auction, "SealedBidAuctionRevealsPending");
    await increaseTime(REVEAL - BIDDING);
    await (await auction.finalize()).wait();
    const [winner, amount, bidId, finalized] = await auction.leader();
    assert.deepEqual([winner, amount, bidId, finalized], [bob.address, 500n, ids[1], true]);
  });
});
