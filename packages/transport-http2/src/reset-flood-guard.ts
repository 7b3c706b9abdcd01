/**
 * The defence against rapid reset (CVE-2023-44487): a client that opens streams and
 * cancels them at once makes the server start and abandon a call per stream for the
 * price of two small frames. node:http2 (nghttp2 1.57 and later) answers a burst of
 * about 1000 resets with a GOAWAY INTERNAL_ERROR but keeps the connection open; this
 * guard counts the streams a client resets before their response ended and, past the
 * limit within one second, tells it GOAWAY ENHANCE_YOUR_CALM "too_many_resets" and
 * closes the connection.
 */
import { Http2ErrorCode } from "@grpckit/core";
import type { ServerHttp2Session } from "node:http2";

/** Client resets allowed per connection per second by default. */
export const defaultMaxResetsPerSecond = 500;

/** The GOAWAY debug data telling a client it reset too many streams. */
export const tooManyResets = "too_many_resets";

/** One connection's count of client resets in the current one-second window. */
export class ResetFloodGuard {
  private windowStart = 0;
  private count = 0;

  constructor(
    private readonly session: ServerHttp2Session,
    private readonly maxPerSecond: number,
    private readonly onFlood: (error: Error) => void,
  ) {}

  /** Records a stream the client reset before the server finished it. */
  readonly onPeerReset = (): void => {
    const session = this.session;
    // A session being destroyed closes its streams too; those are not the client's resets.
    if (session.destroyed) return;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    if (++this.count <= this.maxPerSecond) return;
    const error = new Error(`the client reset more than ${this.maxPerSecond} streams in one second`);
    this.onFlood(error);
    session.goaway(Http2ErrorCode.ENHANCE_YOUR_CALM, 0, Buffer.from(tooManyResets, "latin1"));
    session.destroy(error, Http2ErrorCode.ENHANCE_YOUR_CALM);
  };
}
