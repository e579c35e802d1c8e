/**
 * End to end on Hardhat's in-process chain: fund the group address, threshold-sign an EIP-1559 value
 * transfer from it with the in-process presigning and signing protocols, broadcast, and see the
 * balances move.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { network } from "hardhat";
import { Transaction, Wallet, parseEther } from "ethers";
import { seededRng, bytesToHex } from "../../../node/crypto/index.js";
import { ethereumAddress, signedTransaction, transactionDigest } from "../../../node/ethereum/index.js";
import { thresholdSigner } from "./harness.js";

const { ethers } = await network.create();

describe("ethereum: a threshold-signed EIP-1559 transaction is mined", () => {
  it("moves value from the group address to a recipient", async () => {
    const group = await thresholdSigner(3, 1, 2, "hardhat-send");
    const groupAddress = ethereumAddress(group.publicKey);
    const recipient = new Wallet("0x" + bytesToHex(seededRng("recipient")(32))).address;
    const [funder] = await ethers.getSigners();
    await (await funder.sendTransaction({ to: groupAddress, value: parseEther("1") })).wait();

    const provider = ethers.provider;
    const fees = await provider.getFeeData();
    const tx = {
      type: 2,
      chainId: (await provider.getNetwork()).chainId,
      nonce: await provider.getTransactionCount(groupAddress),
      to: recipient,
      value: parseEther("0.25"),
      gasLimit: 21000n,
      maxFeePerGas: fees.maxFeePerGas!,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas!,
    };
    const signature = await group.sign(transactionDigest(tx));
    const raw = signedTransaction(tx, signature);
    assert.equal(Transaction.from(raw).from, groupAddress);

    const before = await provider.getBalance(groupAddress);
    const receipt = await (await provider.broadcastTransaction(raw)).wait();
    assert.equal(receipt!.status, 1);
    assert.equal(receipt!.from, groupAddress);
    assert.equal(await provider.getBalance(recipient), parseEther("0.25"));
    const fee = receipt!.gasUsed * receipt!.gasPrice;
    assert.equal(await provider.getBalance(groupAddress), before - parseEther("0.25") - fee);
  });
});
