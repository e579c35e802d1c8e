/**
 * Shardless Hardhat 3 plugin: `npx hardhat shardless <verb>` tasks, the `shardless` config section, and
 * `hre.shardless` / `(await network.create()).shardless` (group-key signers, contract encryption).
 * Declarations only: hook handlers and task actions load lazily.
 */
import { emptyTask, task } from "hardhat/config";
import { definePlugin } from "hardhat/plugins";
import { ArgumentType } from "hardhat/types/arguments";
import "./type-extensions.js";
import { PLUGIN_ID } from "./internal/constants.js";

export type * from "./type-extensions.js";
export type { ShardlessConfig, ShardlessUserConfig, ShardlessNodeUserConfig } from "./internal/config.js";
export type { ShardlessRuntime, ShardlessNetworkRuntime } from "./internal/runtime.js";

const json = { name: "json", description: "Print the result as JSON (progress goes to stderr)" } as const;
const node = {
  name: "node",
  description: "Node to ask (a name from shardless.nodes; default: the first)",
  type: ArgumentType.STRING_WITHOUT_DEFAULT,
  defaultValue: undefined,
} as const;
const requestId = {
  name: "requestId",
  description: "Idempotency id: retrying with the same id never repeats the work",
  type: ArgumentType.STRING_WITHOUT_DEFAULT,
  defaultValue: undefined,
} as const;
const key = {
  name: "key",
  description: "Key id (default: shardless.defaultKey)",
  type: ArgumentType.STRING_WITHOUT_DEFAULT,
  defaultValue: undefined,
} as const;
const encryptionKey = { ...key, description: "Encryption key id (default: shardless.defaultEncryptionKey)" };
const group = {
  name: "group",
  description: "Group id (default: shardless.defaultGroup)",
  type: ArgumentType.STRING_WITHOUT_DEFAULT,
  defaultValue: undefined,
} as const;
const optionalString = (name: string, description: string) =>
  ({ name, description, type: ArgumentType.STRING_WITHOUT_DEFAULT, defaultValue: undefined }) as const;
const unsignedTransaction = optionalString(
  "transaction",
  "Unsigned serialized transaction (0x…, type 0 or 2)",
);

export default definePlugin({
  id: PLUGIN_ID,
  npmPackage: null,
  dependencies: () => [import("@nomicfoundation/hardhat-ethers")],
  hookHandlers: {
    config: () => import("./internal/hook-handlers/config.js"),
    hre: () => import("./internal/hook-handlers/hre.js"),
    network: () => import("./internal/hook-handlers/network.js"),
  },
  tasks: [
    emptyTask(
      "shardless",
      "Threshold keys for your contracts: sign and decrypt with a group of nodes",
    ).build(),

    task(
      ["shardless", "status"],
      "Show members, keys, epochs, quorum and colluders needed to steal, peers, pools",
    )
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/status.js"))
      .build(),

    task(["shardless", "deploy"], "Deploy the ShardlessRegistry contract on the selected network")
      .addOption(
        optionalString("admin", "Address holding the registry's admin roles (default: the deployer)"),
      )
      .addFlag(json)
      .setAction(() => import("./internal/tasks/deploy.js"))
      .build(),

    emptyTask(["shardless", "group"], "Manage groups in the registry").build(),
    task(["shardless", "group", "create"], "Create a group in the registry (default: all active members)")
      .addOption(optionalString("members", "Comma-separated operator addresses, in member order"))
      .addFlag(json)
      .setAction(() => import("./internal/tasks/group-create.js"))
      .build(),

    task(["shardless", "keygen"], "Run a distributed key generation for a new group key")
      .addOption({ name: "scheme", description: "ecdsa, schnorr or encryption", defaultValue: "ecdsa" })
      .addOption({
        name: "degree",
        description: "Polynomial degree t: t+1 colluders could steal the key",
        type: ArgumentType.INT,
        defaultValue: 1,
      })
      .addOption(group)
      .addOption(requestId)
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/keygen.js"))
      .build(),

    task(["shardless", "sign"], "Sign a digest, a message or EIP-712 typed data with a group key")
      .addOption(key)
      .addOption(optionalString("digest", "32-byte digest (0x…)"))
      .addOption(optionalString("message", "Text message (EIP-191 personal message for ecdsa)"))
      .addOption(optionalString("messageHex", "Message bytes (0x…)"))
      .addOption(optionalString("typedData", "JSON file with { domain, types, message } (ecdsa)"))
      .addOption(unsignedTransaction)
      .addOption(optionalString("variant", "Schnorr variant: bip340 (default) or rfc9591"))
      .addOption(
        optionalString(
          "approvals",
          "Approvals file (from `shardless approve --out`) to send with the request",
        ),
      )
      .addOption(requestId)
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/sign.js"))
      .build(),

    task(["shardless", "approve"], "Approve a pending sign request as a designated approver (EIP-712)")
      .addOption(key)
      .addOption(
        optionalString("requestId", "Request id of the sign request (the approval is valid for it only)"),
      )
      .addOption(optionalString("digest", "32-byte digest (0x…)"))
      .addOption(optionalString("message", "Text message"))
      .addOption(optionalString("messageHex", "Message bytes (0x…)"))
      .addOption(optionalString("typedData", "JSON file with { domain, types, message }"))
      .addOption(unsignedTransaction)
      .addOption(
        optionalString("approver", "Approver address among the network's accounts (default: the first)"),
      )
      .addOption({
        name: "expiresIn",
        description: "Seconds the approval stays valid",
        type: ArgumentType.INT,
        defaultValue: 3600,
      })
      .addOption(optionalString("out", "Approvals file to add the approval to (created if missing)"))
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/approve.js"))
      .build(),

    task(["shardless", "send"], "Send a transaction from a group key's address")
      .addOption(key)
      .addOption(optionalString("to", "Recipient address"))
      .addOption({ name: "value", description: "Amount in ether", defaultValue: "0" })
      .addOption({ name: "data", description: "Call data (0x…)", defaultValue: "0x" })
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/send.js"))
      .build(),

    task(["shardless", "encrypt"], "Encrypt a payload to a group key, labelled for a contract and topic")
      .addOption(encryptionKey)
      .addOption(optionalString("contract", "Contract that decides when the payload may be revealed"))
      .addOption(optionalString("topic", "Label topic: 0x…32 bytes, or text (hashed)"))
      .addOption(optionalString("plaintext", "Text to encrypt"))
      .addOption(optionalString("hex", "Bytes to encrypt (0x…)"))
      .addOption(optionalString("chainId", "Chain id of the label (default: the network's)"))
      .addFlag(json)
      .setAction(() => import("./internal/tasks/encrypt.js"))
      .build(),

    task(
      ["shardless", "decrypt"],
      "Ask the group to decrypt a ciphertext (the contract's policy must allow it)",
    )
      .addOption(encryptionKey)
      .addOption(optionalString("ciphertext", "Ciphertext (0x…)"))
      .addOption(
        optionalString("payloadId", "Id of the payload the contract stored (its reveal policy is checked)"),
      )
      .addOption(optionalString("contract", "Contract holding the payload (required for ecies)"))
      .addOption({
        name: "format",
        description: "tdh2 (encryptForContract) or ecies (eciesjs)",
        defaultValue: "tdh2",
      })
      .addOption(requestId)
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/decrypt.js"))
      .build(),

    task(["shardless", "refresh"], "Re-randomise a key's shares (new epoch, same public key)")
      .addOption(key)
      .addOption(requestId)
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/refresh.js"))
      .build(),

    task(["shardless", "recover"], "Restore a member's lost share from the other members")
      .addOption(key)
      .addOption({ name: "member", description: "Member id (1..n)", type: ArgumentType.INT, defaultValue: 0 })
      .addOption(requestId)
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/recover.js"))
      .build(),

    task(
      ["shardless", "reshare"],
      "Move a group's keys to new members and/or a new degree (same public keys)",
    )
      .addOption(group)
      .addOption(optionalString("members", "Comma-separated operator addresses of the new committee"))
      .addOption({
        name: "degree",
        description: "New polynomial degree t",
        type: ArgumentType.INT,
        defaultValue: 1,
      })
      .addOption(requestId)
      .addOption(node)
      .addFlag(json)
      .setAction(() => import("./internal/tasks/reshare.js"))
      .build(),

    task(["shardless", "devnet"], "Start a local chain, registry and member nodes (until Ctrl-C)")
      .addOption({
        name: "members",
        description: "Members in the group (default: shardless.devnet.members)",
        type: ArgumentType.INT,
        defaultValue: 0,
      })
      .addFlag({
        name: "keep",
        description: "Reuse the devnet directory (restart members with their shares)",
      })
      .addFlag(json)
      .setAction(() => import("./internal/tasks/devnet.js"))
      .build(),

    task(["shardless", "demo"], "Run the full lifecycle on a throwaway devnet and print a summary")
      .addOption({
        name: "members",
        description: "Members of the throwaway devnet (default: shardless.devnet.members)",
        type: ArgumentType.INT,
        defaultValue: 0,
      })
      .addOption(optionalString("dir", "Its directory (default: <shardless.devnet.dataDir>-demo)"))
      .addFlag(json)
      .setAction(() => import("./internal/tasks/demo.js"))
      .build(),
  ],
});
