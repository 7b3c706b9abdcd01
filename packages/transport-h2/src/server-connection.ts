/**
 * The server side of a connection: client streams open with HEADERS, are checked as
 * requests and handed to core, and the connection drains with grpc-go's two GOAWAYs.
 */
import {
  Http2ErrorCode,
  ServerKeepaliveManager,
  type ConnectionManagement,
  type FlowControlWindows,
  type Http2Headers,
  type Peer,
  type ServerConnection,
  type ServerStreamListener,
  type ServerTransportStream,
} from "@grpckit/core";
import type { Duplex } from "node:stream";
import { H2Connection, type FloodLimits, type LocalSettings } from "./connection.js";
import { ErrorCode } from "./frame.js";
import { BlockKind, headersFromFields } from "./header-fields.js";
import type { HpackBlockFault } from "./hpack-decoder.js";
import { H2Stream } from "./stream.js";

/** The largest stream id, the last-stream-id of the first GOAWAY of a graceful drain. */
const maxStreamId = 0x7fffffff;
/** How long the drain waits for the PING between its two GOAWAYs. */
const drainPingTimeoutMs = 1_000;

export interface ServerConnectionHooks {
  onStream(stream: ServerTransportStream): void;
  /** The socket closed. */
  onClose(connection: H2ServerConnection): void;
}

export class H2ServerConnection extends H2Connection implements ServerConnection {
  /** Streams the client has open (open or half-closed), against our MAX_CONCURRENT_STREAMS. */
  private peerOpen = 0;
  protected readonly pausesReading = true;
  private draining = false;
  /** When the last stream closed, or when the connection opened (for max idle). */
  idleSince = Date.now();
  private readonly manager: ServerKeepaliveManager | undefined;

  constructor(
    socket: Duplex,
    local: LocalSettings,
    limits: FloodLimits,
    readonly peer: Peer,
    readonly localAddress: string | undefined,
    private readonly hooks: ServerConnectionHooks,
    management: ConnectionManagement | undefined,
  ) {
    super(socket, local, limits, true);
    this.start(undefined);
    if (management !== undefined) this.manager = new ServerKeepaliveManager(this, management);
  }

  /** Streams open now. */
  get openStreams(): number {
    return this.peerOpen;
  }

  flowControl(): FlowControlWindows | undefined {
    return this.finished ? undefined : this.windows();
  }

  keepalivesSent(): number {
    return this.manager?.pingsSent ?? 0;
  }

  protected isIdle(streamId: number): boolean {
    return streamId % 2 === 0 || streamId > this.lastPeerStreamId;
  }

  protected describeFailure(message: string, cause?: unknown): Error {
    return new Error(`connection from ${this.peer.address}: ${message}`, cause === undefined ? undefined : { cause });
  }

  protected onHeaderBlock(streamId: number, endStream: boolean, fields: string[], fault: HpackBlockFault | undefined): void {
    const existing = this.streams.get(streamId) as H2ServerStream | undefined;
    if (existing !== undefined) return this.trailers(existing, endStream, fields, fault);
    if (streamId % 2 === 0) return this.connectionError(ErrorCode.PROTOCOL_ERROR, `the client opened stream ${streamId}, an even (server) id`);
    if (streamId <= this.lastPeerStreamId) {
      return this.connectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, which is closed or below a later stream`);
    }
    this.lastPeerStreamId = streamId;
    if (this.goawayLastStreamId >= 0 && streamId > this.goawayLastStreamId) return this.resetStreamId(streamId, ErrorCode.REFUSED_STREAM);
    if (fault === "invalid-name") return this.refuseMalformed(streamId);
    if (fault === "header-list-too-large") {
      if (this.chargeReset()) this.refuseTooLarge(streamId, endStream);
      return;
    }
    if (this.peerOpen >= this.local.maxConcurrentStreams || this.outputBlocked) return this.resetStreamId(streamId, ErrorCode.REFUSED_STREAM);
    const headers = headersFromFields(fields, BlockKind.Request);
    if (typeof headers === "string") return this.refuseMalformed(streamId);
    const stream = new H2ServerStream(this, headers);
    this.addStream(stream, streamId);
    this.peerOpen++;
    const length = headers["content-length"];
    if (length !== undefined) {
      stream.contentLength = Number(length);
      if (endStream && stream.contentLength !== 0) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, "content-length without DATA");
    }
    // The end waits in the stream's inbox until core sets its listener.
    if (endStream) this.remoteEnd(stream);
    try {
      this.hooks.onStream(stream);
    } catch {
      // A failing stream handler costs that stream, not the connection.
      this.resetStream(stream, ErrorCode.INTERNAL_ERROR);
    }
  }

  /** A malformed request is reset, and counted as a reset the client caused. */
  private refuseMalformed(streamId: number): void {
    if (this.chargeReset()) this.resetStreamId(streamId, ErrorCode.PROTOCOL_ERROR);
  }

  /** A second header block on a stream: the request's trailers. */
  private trailers(stream: H2ServerStream, endStream: boolean, fields: string[], fault: HpackBlockFault | undefined): void {
    if (stream.remoteEnded) return this.streamError(stream, ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM");
    if (!endStream) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM");
    if (fault !== undefined) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `trailers: ${fault}`);
    const trailers = headersFromFields(fields, BlockKind.Trailers);
    if (typeof trailers === "string") return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `malformed trailers: ${trailers}`);
    if (stream.contentLength >= 0 && stream.receivedBytes !== stream.contentLength) {
      return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `DATA does not add up to content-length ${stream.contentLength}`);
    }
    this.remoteEnd(stream);
  }

  /** A header list over our limit gets an answer that says so, not a bare reset. */
  private refuseTooLarge(streamId: number, endStream: boolean): void {
    const limit = this.local.maxHeaderListSize;
    this.pushHeaders(
      streamId,
      {
        ":status": 200,
        "content-type": "application/grpc",
        "grpc-status": "8",
        "grpc-message": `request header list larger than the server's limit of ${limit} bytes`,
      },
      true,
    );
    if (!endStream) this.resetStreamId(streamId, ErrorCode.NO_ERROR);
  }

  protected override deliverEnd(stream: H2Stream): void {
    (stream as H2ServerStream).deliverEnd();
  }

  protected deliverDrain(stream: H2Stream): void {
    (stream as H2ServerStream).listener?.onDrain();
  }

  protected deliverClose(stream: H2Stream, rstCode: number | undefined, error: Error | undefined): void {
    (stream as H2ServerStream).listener?.onClose(rstCode, error);
  }

  protected override peerResetCode(stream: H2Stream, code: number): number | undefined {
    // A client that stops a stream with NO_ERROR before the response ended cancelled it.
    return code === ErrorCode.NO_ERROR && !stream.localEndSent ? ErrorCode.CANCEL : code;
  }

  /** After the response, a client still sending is told to stop (RFC 9113 section 8.1). */
  protected override localEnd(stream: H2Stream): void {
    if (stream.remoteEnded) {
      this.closeStream(stream, undefined, undefined);
      return;
    }
    this.resetStreamId(stream.id, ErrorCode.NO_ERROR);
    this.dropInbox(stream);
    this.closeStream(stream, undefined, undefined);
  }

  protected streamClosed(): void {
    if (--this.peerOpen === 0) this.idleSince = Date.now();
  }

  protected override pingReceived(): void {
    this.manager?.onPing();
  }

  protected goawayReceived(): void {
    // The client opens no more streams; the connection ends when its streams have.
    if (this.streams.size === 0) this.endSocket();
  }

  protected connectionClosed(): void {
    this.manager?.stop();
    this.hooks.onClose(this);
  }

  /**
   * Graceful shutdown as grpc-go does it: GOAWAY with the largest id (streams already
   * on their way are still taken), a PING, and on its answer GOAWAY with the real last
   * stream id. The connection closes when the streams up to it have finished.
   */
  drain(reason?: string): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    this.sendGoaway(maxStreamId, ErrorCode.NO_ERROR, reason);
    let done = false;
    const finalGoaway = () => {
      if (done || this.finished) return;
      done = true;
      clearTimeout(timer);
      this.sendGoaway(this.lastPeerStreamId, ErrorCode.NO_ERROR);
      this.closed = true;
      if (this.streams.size === 0) this.endSocket();
    };
    const timer = setTimeout(finalGoaway, drainPingTimeoutMs);
    timer.unref?.();
    this.ping().then(finalGoaway, () => {});
  }

  /** Ends the connection now: open streams are reset and the socket closes. */
  destroy(error: Error): void {
    this.failure ??= error;
    this.destroySocket();
  }
}

/** One request stream, as core's ServerTransportStream. */
export class H2ServerStream extends H2Stream implements ServerTransportStream {
  listener: ServerStreamListener | undefined;
  private headersSent = false;

  constructor(
    private readonly conn: H2ServerConnection,
    readonly headers: Http2Headers,
  ) {
    super(conn.localInitialWindowSize);
    this.accepting = false;
  }

  get peer(): Peer {
    return this.conn.peer;
  }

  get connection(): ServerConnection {
    return this.conn;
  }

  setListener(listener: ServerStreamListener): void {
    if (this.listener !== undefined) throw new Error("the stream's listener is already set");
    this.listener = listener;
    this.accepting = true;
    this.deliverInbox();
  }

  sendHeaders(headers: Http2Headers, endStream: boolean): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.conn.sendHeaders(this, headers, endStream);
  }

  write(data: Uint8Array): boolean {
    return this.conn.writeData(this, data);
  }

  sendTrailers(trailers: Http2Headers): void {
    if (!this.headersSent) {
      this.headersSent = true;
      this.conn.sendHeaders(this, { ":status": 200, ...trailers }, true);
      return;
    }
    this.conn.endStream(this, trailers);
  }

  reset(code: number = Http2ErrorCode.CANCEL): void {
    this.conn.resetStream(this, code);
  }

  deliverEnd(): void {
    this.listener?.onEnd();
  }

  protected emitData(chunk: Buffer): void {
    this.listener!.onData(chunk);
  }

  protected released(n: number): void {
    this.conn.releaseStream(this, n);
  }
}
