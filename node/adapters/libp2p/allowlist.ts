/**
 * Admission control (DESIGN invariant 6): only peers on the allowlist — the registry-listed members of
 * this node's groups — may hold a connection. Peer ids are known only after the Noise handshake, so the
 * gater uses the *Encrypted* gates (and denies dialing unlisted peers). The list is replaced at runtime
 * as registry events arrive; removing a peer also closes its open connections (mesh.ts).
 */
import type { ConnectionGater, PeerId } from "@libp2p/interface";

export type GateDirection = "inbound" | "outbound" | "dial";

export class PeerAllowlist {
  private allowed = new Set<string>();

  constructor(peers: Iterable<string> = []) {
    this.replace(peers);
  }

  has(peer: string): boolean {
    return this.allowed.has(peer);
  }

  /** Replaces the whole list; returns the peers that were removed. */
  replace(peers: Iterable<string>): string[] {
    const next = new Set(peers);
    const removed = [...this.allowed].filter((p) => !next.has(p));
    this.allowed = next;
    return removed;
  }

  list(): string[] {
    return [...this.allowed].sort();
  }
}

/** A libp2p ConnectionGater that admits only allowlisted peers; `onDeny` observes refusals (logs, metrics). */
export function allowlistGater(
  allowlist: PeerAllowlist,
  onDeny: (peer: string, direction: GateDirection) => void = () => {},
): ConnectionGater {
  const deny = (peer: PeerId, direction: GateDirection): boolean => {
    const id = peer.toString();
    if (allowlist.has(id)) return false;
    onDeny(id, direction);
    return true;
  };
  return {
    denyDialPeer: (peer) => deny(peer, "dial"),
    denyInboundEncryptedConnection: (peer) => deny(peer, "inbound"),
    denyOutboundEncryptedConnection: (peer) => deny(peer, "outbound"),
  };
}
