/** Decoding of registry logs into {@link RegistryEvent}s; anything malformed becomes a ChainError. */
import { ZeroAddress, type Interface, type Log, type LogDescription } from "ethers";
import { ChainError } from "./errors.js";
import { SCHEMES, type EventMeta, type RegistryEvent, type Scheme } from "./types.js";

export function schemeName(value: bigint | number): Scheme {
  const scheme = SCHEMES[Number(value)];
  if (scheme === undefined) throw new ChainError("CHAIN_BAD_EVENT", `unknown scheme ${value}`);
  return scheme;
}

const toStrings = (value: unknown): string[] => Array.from(value as Iterable<unknown>, String);

function fromDescription(d: LogDescription, meta: EventMeta): RegistryEvent {
  const a = d.args;
  switch (d.name) {
    case "MemberAdded":
      return {
        name: d.name,
        operator: a.operator,
        peerId: a.peerId,
        multiaddrs: toStrings(a.multiaddrs),
        meta,
      };
    case "MemberRemoved":
      return { name: d.name, operator: a.operator, meta };
    case "MemberUpdated":
      return { name: d.name, operator: a.operator, multiaddrs: toStrings(a.multiaddrs), meta };
    case "GroupCreated":
    case "MembershipChangeRequested":
    case "MembershipChanged":
      return {
        name: d.name,
        groupId: a.groupId,
        members: toStrings(a.members),
        memberSetHash: a.memberSetHash,
        meta,
      };
    case "KeyRequested":
      return {
        name: d.name,
        keyId: a.keyId,
        groupId: a.groupId,
        scheme: schemeName(a.scheme),
        degree: Number(a.degree),
        meta,
      };
    case "KeyPublished":
      return {
        name: d.name,
        keyId: a.keyId,
        groupId: a.groupId,
        scheme: schemeName(a.scheme),
        publicKey: a.publicKey,
        ethAddress: a.ethAddress === ZeroAddress ? null : a.ethAddress,
        commitmentDigest: a.commitmentDigest,
        meta,
      };
    case "EpochAdvanced":
      return {
        name: d.name,
        keyId: a.keyId,
        groupId: a.groupId,
        epoch: a.epoch,
        degree: Number(a.degree),
        commitmentDigest: a.commitmentDigest,
        meta,
      };
    case "KeyRetired":
      return { name: d.name, keyId: a.keyId, groupId: a.groupId, meta };
    case "RoleGranted":
    case "RoleRevoked":
      return { name: d.name, role: a.role, account: a.account, sender: a.sender, meta };
    case "RoleAdminChanged":
      return {
        name: d.name,
        role: a.role,
        previousAdminRole: a.previousAdminRole,
        newAdminRole: a.newAdminRole,
        meta,
      };
    default:
      throw new ChainError("CHAIN_BAD_EVENT", `unexpected registry event ${d.name}`);
  }
}

/** Decodes one registry log. Throws ChainError CHAIN_BAD_EVENT for unknown topics or undecodable data. */
export function decodeRegistryLog(iface: Interface, log: Log): RegistryEvent {
  const meta: EventMeta = {
    blockNumber: log.blockNumber,
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    logIndex: log.index,
  };
  let description: LogDescription | null;
  try {
    description = iface.parseLog({ topics: [...log.topics], data: log.data });
  } catch (cause) {
    throw new ChainError("CHAIN_BAD_EVENT", `undecodable registry log at block ${log.blockNumber}`, {
      cause,
    });
  }
  if (!description) {
    throw new ChainError("CHAIN_BAD_EVENT", `unknown registry log topic at block ${log.blockNumber}`);
  }
  return fromDescription(description, meta);
}
