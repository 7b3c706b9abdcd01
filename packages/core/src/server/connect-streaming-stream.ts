/**
 * A streaming Connect call on a server stream. Its messages are enveloped as gRPC's
 * (flag 0x01: compressed), so they pass through as they are both ways. What differs is
 * around them: per-message compression is named in connect-content-encoding and
 * connect-accept-encoding, the response is always HTTP 200, and the status and trailing
 * metadata travel in the body's last message, flagged 0x02, as JSON.
 */
import { H } from "../wire/protocol.js";
import type { Http2Headers, ServerTransportStream } from "../transport/transport.js";
import { WrappedServerStream } from "./wrapped-server-stream.js";
import { encodeEndStream, metadataEntries, statusOf } from "./connect-error.js";
import { ConnectHeader } from "./connect-protocol.js";

export class ConnectStreamingServerStream extends WrappedServerStream {
  /** The end-of-stream message has been written (or the stream reset): nothing more goes out. */
  private done = false;

  /** @param headers the request as gRPC headers (see connect-request.ts) */
  constructor(
    inner: ServerTransportStream,
    private readonly requestHeaders: Http2Headers,
    private readonly responseType: string,
  ) {
    super(inner);
  }

  override get headers(): Http2Headers {
    return this.requestHeaders;
  }

  override sendHeaders(headers: Http2Headers, endStream: boolean): void {
    if (this.done) return;
    if (!endStream) {
      this.inner.sendHeaders(this.responseHeaders(headers, true), false);
      return;
    }
    // Trailers-only: HTTP 200 still, and the status in the body.
    this.inner.sendHeaders(this.responseHeaders(headers, false), false);
    this.end(headers);
  }

  override write(data: Uint8Array): boolean {
    if (this.done) return true;
    return this.inner.write(data);
  }

  override sendTrailers(trailers: Http2Headers): void {
    if (!this.done) this.end(trailers);
  }

  /** See ConnectUnaryServerStream.reset: once the body has ended, there is nothing to stop. */
  override reset(code?: number): void {
    if (this.done) return;
    this.done = true;
    this.inner.reset(code);
  }

  /** The Connect response headers for the call's; `withMetadata` false when the block's metadata is trailing. */
  private responseHeaders(headers: Http2Headers, withMetadata: boolean): Http2Headers {
    const out: Http2Headers = { [H.status]: 200, [H.contentType]: this.responseType };
    const encoding = headers[H.encoding];
    if (encoding !== undefined) out[ConnectHeader.streamEncoding] = encoding;
    const accept = headers[H.acceptEncoding];
    if (accept !== undefined) out[ConnectHeader.streamAcceptEncoding] = accept;
    if (withMetadata) {
      for (const [name, value] of metadataEntries(headers)) out[name] = value;
    }
    return out;
  }

  private end(status: Http2Headers): void {
    this.done = true;
    this.inner.write(encodeEndStream(statusOf(status), metadataEntries(status)));
    this.inner.sendTrailers({});
  }
}
