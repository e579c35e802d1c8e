/**
 * Resharing to a new committee and/or degree, same group key (specs/protocols.md §6), public API.
 * Session members: dealers ∪ new committee; the runner's session id is
 * `reshareSession(oldPublic, params).sessionId`. New members get an EpochOutput (→ lifecycle
 * `preparePending`, persist, `startReshareAck`); leaving dealers get what `observeReshareAck` needs.
 */
export { startReshareDealer, startReshareReceiver, type ReshareStartOptions } from "./start.js";
export {
  reshareSession,
  dealerCoefficient,
  dealerOf,
  type ReshareParams,
  type ReshareSession,
} from "./session.js";
export { reshareCodec, type ReshareMessage } from "./messages.js";
export { startReshareAck, observeReshareAck } from "./ack.js";
export type { ReshareResult } from "./result.js";
