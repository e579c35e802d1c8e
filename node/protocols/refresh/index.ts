/**
 * Proactive share refresh (specs/protocols.md §4), public API. Session members: every participant of
 * the key; the runner's session id is `refreshSessionId(share.public, { requestId })`. The result is an
 * EpochOutput: pass it to lifecycle `preparePending`, persist, then run the ACK session
 * (`startRefreshAck`).
 */
export { startRefresh, type RefreshStartOptions } from "./start.js";
export { refreshSessionId, type RefreshParams } from "./session.js";
export { refreshCodec, type RefreshMessage } from "./messages.js";
export { disqualifiedDealers } from "./new-epoch.js";
export { startRefreshAck } from "./ack.js";
