/**
 * A server stream that passes everything to the stream it wraps. The protocol adapters
 * (gRPC-Web, Connect) and CORS each change a few of the stream's methods and extend this
 * for the rest, so a member added to ServerTransportStream is passed through once, here.
 */
import type { Http2Headers, ServerConnection, ServerStreamListener, ServerTransportStream } from "../transport/transport.js";

export class WrappedServerStream implements ServerTransportStream {
  constructor(protected readonly inner: ServerTransportStream) {}

  get headers(): Http2Headers {
    return this.inner.headers;
  }

  get httpVersion() {
    return this.inner.httpVersion;
  }

  get peer() {
    return this.inner.peer;
  }

  get connection(): ServerConnection | undefined {
    return this.inner.connection;
  }

  setListener(listener: ServerStreamListener): void {
    this.inner.setListener(listener);
  }

  sendHeaders(headers: Http2Headers, endStream: boolean): void {
    this.inner.sendHeaders(headers, endStream);
  }

  write(data: Uint8Array): boolean {
    return this.inner.write(data);
  }

  sendTrailers(trailers: Http2Headers): void {
    this.inner.sendTrailers(trailers);
  }

  reset(code?: number): void {
    this.inner.reset(code);
  }

  pause(): void {
    this.inner.pause();
  }

  resume(): void {
    this.inner.resume();
  }
}
