/**
 * One client HTTP/2 stream: node's ClientHttp2Stream events turned into core's
 * ClientStreamListener calls (headers, data*, trailers, close, each once and in order).
 */
import { Http2ErrorCode, type ClientStreamListener, type ClientTransportStream, type Http2Headers } from "@grpckit/core";
import type { ClientHttp2Stream, IncomingHttpHeaders } from "node:http2";

const END_STREAM = 0x1;
const owner = Symbol("grpckit.clientStream");

/** What a stream needs of its connection when it closes. */
export interface ClientStreamHost {
  /** Why the connection went away, once it has (session error, peer closed, destroy). */
  readonly failure: Error | undefined;
  /** Set on every read, for the connection's keepalive. */
  received: boolean;
  /** The stream has closed. */
  streamClosed(): void;
}

type OwnedStream = ClientHttp2Stream & { [owner]: ClientStream };

export class ClientStream implements ClientTransportStream {
  /** The response is complete (trailers, or a trailers-only response, arrived). */
  private remoteEnded = false;
  private closed = false;
  private drainListening = false;
  /** An error node reported on the stream that is more than a restated RST_STREAM code. */
  private error: Error | undefined;

  constructor(
    private readonly stream: ClientHttp2Stream,
    private readonly listener: ClientStreamListener,
    private readonly host: ClientStreamHost,
  ) {
    (stream as OwnedStream)[owner] = this;
    stream.on("response", onResponse);
    stream.on("data", onData);
    stream.on("trailers", onTrailers);
    stream.on("error", onError);
    stream.on("close", onClose);
  }

  write(data: Uint8Array): boolean {
    const stream = this.stream;
    if (stream.destroyed) return true;
    if (stream.write(data)) return true;
    // Most calls never fill the buffer, so the drain listener is added only when one does.
    if (!this.drainListening) {
      this.drainListening = true;
      stream.on("drain", onDrain);
    }
    return false;
  }

  end(data?: Uint8Array): void {
    if (this.stream.destroyed) return;
    if (data === undefined) this.stream.end();
    else this.stream.end(data);
  }

  reset(code: number = Http2ErrorCode.CANCEL): void {
    if (!this.stream.destroyed) this.stream.close(code);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  handleResponse(headers: IncomingHttpHeaders, flags: number): void {
    const endStream = (flags & END_STREAM) !== 0;
    if (endStream) this.remoteEnded = true;
    this.host.received = true;
    this.listener.onHeaders(headers as Http2Headers, endStream);
  }

  handleData(chunk: Buffer): void {
    this.host.received = true;
    this.listener.onData(chunk);
  }

  handleTrailers(trailers: IncomingHttpHeaders): void {
    this.remoteEnded = true;
    this.host.received = true;
    this.listener.onTrailers(trailers as Http2Headers);
  }

  handleDrain(): void {
    this.listener.onDrain();
  }

  handleError(error: Error): void {
    // ERR_HTTP2_STREAM_ERROR only restates the RST_STREAM code, which rstCode carries.
    if ((error as NodeJS.ErrnoException).code === "ERR_HTTP2_STREAM_ERROR") return;
    this.error ??= error;
  }

  handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.streamClosed();
    let rstCode: number | undefined = this.stream.rstCode;
    if (rstCode === Http2ErrorCode.NO_ERROR) rstCode = undefined;
    let error = this.error;
    const failure = this.host.failure;
    if (failure !== undefined && !this.remoteEnded) {
      // node closes streams of a dead or destroyed session with NO_ERROR or CANCEL;
      // either way the response was cut short by the connection, not by the server.
      rstCode ??= Http2ErrorCode.CANCEL;
      error ??= failure;
    } else if (error !== undefined) {
      rstCode ??= Http2ErrorCode.INTERNAL_ERROR;
    }
    this.listener.onClose(rstCode, error);
  }
}

function onResponse(this: OwnedStream, headers: IncomingHttpHeaders, flags: number): void {
  this[owner].handleResponse(headers, flags);
}
function onData(this: OwnedStream, chunk: Buffer): void {
  this[owner].handleData(chunk);
}
function onTrailers(this: OwnedStream, trailers: IncomingHttpHeaders): void {
  this[owner].handleTrailers(trailers);
}
function onDrain(this: OwnedStream): void {
  this[owner].handleDrain();
}
function onError(this: OwnedStream, error: Error): void {
  this[owner].handleError(error);
}
function onClose(this: OwnedStream): void {
  this[owner].handleClose();
}
