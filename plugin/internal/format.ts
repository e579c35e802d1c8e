/** Human-readable lines for API results (the `--json` output is the API object itself). */
import type { GroupStatus, KeyStatus, NodeStatus } from "../../node/client/types.js";

export function keyLines(k: KeyStatus): string[] {
  const lines = [
    `Key ${k.keyId} (${k.scheme}) in group ${k.groupId}: ${k.status}, epoch ${k.epoch}`,
    `  degree ${k.degree}: ${k.quorum} members needed to use it, ${k.colludersToSteal} colluding members needed to steal it`,
    `  public key ${k.publicKey}`,
  ];
  if (k.address) lines.push(`  address    ${k.address}`);
  if (k.xOnlyPublicKey) lines.push(`  x-only key ${k.xOnlyPublicKey}`);
  if (k.presignatures !== undefined) lines.push(`  presignatures ready: ${k.presignatures}`);
  if (k.nonces !== undefined) lines.push(`  nonce commitments ready: ${k.nonces}`);
  return lines;
}

export function groupLines(g: GroupStatus): string[] {
  const online = g.members.filter((m) => m.online).length;
  const lines = [`Group ${g.groupId}: ${g.members.length} members, ${online} online`];
  for (const m of g.members) {
    lines.push(`  member ${m.id}  ${m.operator}  ${m.peerId}  ${m.online ? "online" : "OFFLINE"}`);
  }
  if (g.keys.length === 0) lines.push("  no keys yet (create one with `npx hardhat shardless keygen`)");
  for (const k of g.keys) {
    const pool =
      k.presignatures !== undefined
        ? `, presignatures ${k.presignatures}`
        : k.nonces !== undefined
          ? `, nonces ${k.nonces}`
          : "";
    lines.push(
      `  key ${k.keyId}  ${k.scheme.padEnd(10)} epoch ${k.epoch}  quorum ${k.quorum}  ` +
        `colluders to steal ${k.colludersToSteal}  ${k.status}${pool}  ${k.address ?? k.publicKey}`,
    );
  }
  return lines;
}

export function statusLines(s: NodeStatus, nodeName: string): string[] {
  const online = s.peers.filter((p) => p.connected).length;
  const lines = [
    `Node ${nodeName}: peer ${s.peerId}, operator ${s.operator}`,
    `  chain ${s.chainId}, registry ${s.registry}`,
    `  peers online: ${online}/${s.peers.length}`,
  ];
  if (s.groups.length === 0)
    lines.push("No groups yet (create one with `npx hardhat shardless group create`).");
  for (const g of s.groups) lines.push(...groupLines(g));
  return lines;
}
