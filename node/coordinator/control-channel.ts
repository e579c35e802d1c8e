/**
 * Splits one Transport into two: control frames (protocol id 0: invites and declines) go to the
 * coordinator's handler, every other frame to the runner. Control frames are signed like protocol
 * frames and checked here: signature by the sending peer, and the claimed sender id is that peer's
 * member id in the group (checked by the handler, which knows the groups).
 */
import { decodeFrame, encodeFrame, frameSigningBytes, type Frame } from "../protocol/frame.js";
import { PROTOCOL_IDS } from "../protocol/round.js";
import type { FrameAuthenticator, Logger, Transport } from "../runner/ports.js";
import { decodeControl, encodeControl, type ControlMessage } from "./invite.js";

export type ControlHandler = (peer: string, frame: Frame, message: ControlMessage) => void;

export class ControlChannel {
  private handler: ControlHandler = () => {};
  private protocolHandler: (peer: string, frame: Uint8Array) => void = () => {};
  /** The Transport the runner uses: everything but control frames. */
  readonly protocolTransport: Transport;

  constructor(
    private readonly transport: Transport,
    private readonly auth: FrameAuthenticator,
    private readonly logger: Logger,
  ) {
    transport.onFrame((peer, bytes) => this.route(peer, bytes));
    this.protocolTransport = {
      self: transport.self,
      send: (peer, frame) => transport.send(peer, frame),
      onFrame: (h) => {
        this.protocolHandler = h;
      },
      connectedPeers: () => transport.connectedPeers(),
    };
  }

  onControl(handler: ControlHandler): void {
    this.handler = handler;
  }

  async send(
    peer: string,
    head: { sessionId: Uint8Array; from: number; to: number },
    message: ControlMessage,
  ): Promise<void> {
    const unsigned = {
      protocolId: PROTOCOL_IDS.control,
      sessionId: head.sessionId,
      round: 1,
      from: head.from,
      to: head.to,
      payload: encodeControl(message),
    };
    const signature = this.auth.sign(frameSigningBytes(unsigned));
    await this.transport.send(peer, encodeFrame({ ...unsigned, signature }));
  }

  private route(peer: string, bytes: Uint8Array): void {
    // Byte 1 of every frame is the protocol id (frame.ts); anything else is the runner's business.
    if (bytes.length < 2 || bytes[1] !== PROTOCOL_IDS.control) {
      this.protocolHandler(peer, bytes);
      return;
    }
    try {
      const frame = decodeFrame(bytes);
      if (!this.auth.verify(peer, frameSigningBytes(frame), frame.signature)) {
        this.logger.warn(
          { peer, event: "control-rejected", reason: "bad-signature" },
          "control frame rejected",
        );
        return;
      }
      this.handler(peer, frame, decodeControl(frame.payload));
    } catch (e) {
      this.logger.warn(
        { peer, event: "control-rejected", error: e instanceof Error ? e.name : "unknown" },
        "control frame rejected",
      );
    }
  }
}
