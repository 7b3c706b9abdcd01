/**
 * One server HTTP/2 stream: node's ServerHttp2Stream shaped as core's
 * ServerTransportStream. Trailers go out through node's waitForTrailers, so they always
 * follow the last DATA frame.
 */
import {
  Http2ErrorCode,
  type Http2Headers,
  type Peer,
  type ServerConnection as CoreServerConnection,
  type ServerStreamListener,
  type ServerTransportStream,
} from "@grpckit/core";
import type { OutgoingHttpHeaders, ServerHttp2Stream, ServerStreamResponseOptions } from "node:http2";

const owner = Symbol("grpckit.serverStream");
// gRPC has no use for the date header node adds by default; leaving it out saves
// formatting and encoding it on every response.
const endStreamResponse: ServerStreamResponseOptions = { endStream: true, sendDate: false } as ServerStreamResponseOptions;
const openResponse: ServerStreamResponseOptions = { endStream: false, waitForTrailers: true, sendDate: false } as ServerStreamResponseOptions;
const noTrailers: OutgoingHttpHeaders = {};

/** What a stream knows of its connection. */
export interface ServerConnection extends CoreServerConnection {
  flowControl?: CoreServerConnection["flowControl"];
  keepalivesSent?: CoreServerConnection["keepalivesSent"];
  /** Why the connection went away, once it has. */
  failure: Error | undefined;
  /** Streams open now. */
  openStreams: number;
  /** Set on every read, for the server keepalive. */
  received: boolean;
  /** Set when headers or data are sent, which forgives the client's ping strikes. */
  sent: boolean;
  /** When the last open stream closed (Date.now()); kept only when `tracksIdle`. */
  idleSince: number;
  /** The connection closes when idle too long, so `idleSince` is kept. */
  tracksIdle: boolean;
  /** The highest stream id handed to the server (for the stalled-session sweep). */
  lastStreamId: number;
  /** Called for each stream the client reset before its response ended (the rapid-reset guard). */
  onPeerReset: (() => void) | undefined;
}

/** A connection's bookkeeping before any stream opened. */
export function newServerConnection(peer: Peer, localAddress: string | undefined): ServerConnection {
  return {
    peer,
    localAddress,
    failure: undefined,
    openStreams: 0,
    received: false,
    sent: false,
    idleSince: 0,
    tracksIdle: false,
    lastStreamId: 0,
    onPeerReset: undefined,
  };
}

type OwnedStream = ServerHttp2Stream & { [owner]: ServerStream };

export class ServerStream implements ServerTransportStream {
  private listener: ServerStreamListener | undefined;
  /** Core has ended the response (trailers, or headers with END_STREAM). */
  private ended = false;
  private trailers: OutgoingHttpHeaders | undefined;
  private error: Error | undefined;
  /** Set when the stream closed before core set its listener. */
  private closedBeforeListener = false;
  private closed = false;
  private drainListening = false;
  /** The server reset the stream itself. */
  private resetSent = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    readonly headers: Http2Headers,
    private readonly conn: ServerConnection,
  ) {
    (stream as OwnedStream)[owner] = this;
    conn.openStreams++;
    stream.on("error", onError);
    stream.on("close", onClose);
    stream.on("wantTrailers", onWantTrailers);
  }

  get peer(): Peer {
    return this.conn.peer;
  }

  get connection(): CoreServerConnection {
    return this.conn;
  }

  setListener(listener: ServerStreamListener): void {
    if (this.listener !== undefined) throw new Error("the stream's listener is already set");
    this.listener = listener;
    if (this.closedBeforeListener) {
      this.deliverClose(listener);
      return;
    }
    // Until now node held incoming DATA in the stream's buffer, within its flow-control window.
    const stream = this.stream;
    stream.on("data", onData);
    stream.on("end", onEnd);
  }

  sendHeaders(headers: Http2Headers, endStream: boolean): void {
    const stream = this.stream;
    if (this.ended || stream.headersSent || stream.destroyed) return;
    if (endStream) this.ended = true;
    this.conn.sent = true;
    stream.respond(headers as OutgoingHttpHeaders, endStream ? endStreamResponse : openResponse);
  }

  write(data: Uint8Array): boolean {
    const stream = this.stream;
    if (this.ended || stream.destroyed) return true;
    this.conn.sent = true;
    if (stream.write(data)) return true;
    // Most calls never fill the buffer, so the drain listener is added only when one does.
    if (!this.drainListening) {
      this.drainListening = true;
      stream.on("drain", onDrain);
    }
    return false;
  }

  /** Ends the response with trailers; without response headers sent, they go out trailers-only. */
  sendTrailers(trailers: Http2Headers): void {
    const stream = this.stream;
    if (this.ended || stream.destroyed) return;
    this.ended = true;
    this.conn.sent = true;
    if (!stream.headersSent) {
      stream.respond({ ":status": 200, ...(trailers as OutgoingHttpHeaders) }, endStreamResponse);
      return;
    }
    this.trailers = trailers as OutgoingHttpHeaders;
    stream.end();
  }

  reset(code: number = Http2ErrorCode.CANCEL): void {
    if (this.stream.destroyed) return;
    this.resetSent = true;
    this.stream.close(code);
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  handleWantTrailers(): void {
    this.stream.sendTrailers(this.trailers ?? noTrailers);
  }

  handleData(chunk: Buffer): void {
    this.conn.received = true;
    this.listener!.onData(chunk);
  }

  handleEnd(): void {
    this.listener!.onEnd();
  }

  handleDrain(): void {
    this.listener!.onDrain();
  }

  handleError(error: Error): void {
    // ERR_HTTP2_STREAM_ERROR only restates the RST_STREAM code, which rstCode carries.
    if ((error as NodeJS.ErrnoException).code === "ERR_HTTP2_STREAM_ERROR") return;
    this.error ??= error;
  }

  handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    const conn = this.conn;
    if (--conn.openStreams === 0 && conn.tracksIdle) conn.idleSince = Date.now();
    if (!this.ended && !this.resetSent && conn.onPeerReset !== undefined) {
      const rstCode = this.stream.rstCode;
      if (rstCode !== undefined && rstCode !== Http2ErrorCode.NO_ERROR) conn.onPeerReset();
    }
    const listener = this.listener;
    if (listener === undefined) this.closedBeforeListener = true;
    else this.deliverClose(listener);
  }

  private deliverClose(listener: ServerStreamListener): void {
    let rstCode: number | undefined = this.stream.rstCode;
    if (rstCode === Http2ErrorCode.NO_ERROR) rstCode = undefined;
    let error = this.error;
    if (rstCode === undefined && !this.ended) {
      // node closes the streams of a destroyed session with NO_ERROR: the response never
      // finished, so report it as the cancellation it is.
      rstCode = Http2ErrorCode.CANCEL;
      error ??= this.conn.failure;
    } else if (rstCode !== undefined) {
      error ??= this.conn.failure;
    }
    listener.onClose(rstCode, error);
  }
}

function onData(this: OwnedStream, chunk: Buffer): void {
  this[owner].handleData(chunk);
}
function onEnd(this: OwnedStream): void {
  this[owner].handleEnd();
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
function onWantTrailers(this: OwnedStream): void {
  this[owner].handleWantTrailers();
}
