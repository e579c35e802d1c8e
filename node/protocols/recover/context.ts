/** Per-member context of one recovery run: the session plus the echo-broadcast plumbing. */
import type { EchoAdapter, EchoContext, VerifyFrame } from "../../protocol/echo.js";
import { PROTOCOL_IDS } from "../../protocol/round.js";
import { echoAdapter, echoContext } from "../lifecycle/echo-layer.js";
import { recoverCodec, type RecoverMessage } from "./messages.js";
import type { RecoverySession } from "./session.js";

export interface RecoveryContext {
  readonly session: RecoverySession;
  readonly self: number;
  readonly echo: EchoContext;
  readonly adapter: EchoAdapter<RecoverMessage>;
}

export function recoveryContext(
  session: RecoverySession,
  self: number,
  verifyFrame: VerifyFrame,
): RecoveryContext {
  const echo = echoContext({
    protocol: "recover",
    protocolId: PROTOCOL_IDS.recover,
    sessionId: session.sessionId,
    self,
    members: [...session.helpers, session.target],
    verifyFrame,
  });
  return { session, self, echo, adapter: echoAdapter(recoverCodec) };
}
