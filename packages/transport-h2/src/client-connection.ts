/**
 * The client side of a connection: core opens streams with request headers; the
 * responses' header blocks are checked and delivered in order (headers, DATA,
 * trailers, close). Streams beyond the server's MAX_CONCURRENT_STREAMS wait for a slot.
 */
import {
  Http2ErrorCode,
  type ClientStreamListener,
  type ClientTransport,
  type ClientTransportOptions,
  type ClientTransportStream,
  type FlowControlWindows,
  type Http2Headers,
  type Peer,
  KeepalivePinger,
  tooManyPings,
  type ClientKeepalive,
} from "@grpckit/core";
import type { Duplex } from "node:stream";
import { H2Connection, type FloodLimits, type LocalSettings } from "./connection.js";
import { ErrorCode, connectionPreface } from "./frame.js";
import { BlockKind, headersFromFields } from "./header-fields.js";
import type { HpackBlockFault } from "./hpack-decoder.js";
import { H2Stream } from "./stream.js";

const maxStreamId = 0x7fffffff;
/** TLS record content types (an alert, a handshake) and the major version every TLS record carries. */
const tlsAlert = 0x15;
const tlsHandshake = 0x16;
const tlsMajorVersion = 0x03;
const useTls = "Connect with TLS credentials (tlsChannelCredentials() from @grpckit/credentials-tls) instead of plaintext";

export class H2ClientConnection extends H2Connection implements ClientTransport {
  private nextStreamId = 1;
  /** Our streams that have an id and are not closed. */
  private localOpen = 0;
  /** Streams waiting for the server's stream limit to allow them. */
  private waiting: H2ClientStream[] = [];
  private goawayCode: number | undefined;
  private closedByUs = false;
  private settingsSeen = false;
  protected readonly pausesReading = false;
  /** The server's first byte while only it has arrived; -1 before any, -2 once two were seen. */
  private firstByte = -1;
  private readonly keepalive: KeepalivePinger | undefined;

  constructor(
    socket: Duplex,
    local: LocalSettings,
    limits: FloodLimits,
    readonly peer: Peer,
    readonly localAddress: string | undefined,
    private readonly options: ClientTransportOptions,
    /** The server's first SETTINGS arrived: the connection is ready. */
    private readonly onReady: () => void,
    keepalive: ClientKeepalive,
    /** The server sent GOAWAY ENHANCE_YOUR_CALM "too_many_pings". */
    private readonly onTooManyPings: () => void,
  ) {
    super(socket, local, limits, false);
    this.start(connectionPreface);
    if (keepalive.timeMs !== Infinity) {
      this.keepalive = new KeepalivePinger(this.sendPing, this, {
        timeMs: keepalive.timeMs,
        timeoutMs: keepalive.timeoutMs,
        permitWithoutCalls: keepalive.permitWithoutCalls,
        onTimeout: () => this.abort(`keepalive ping not acknowledged within ${keepalive.timeoutMs} ms`),
      });
    }
  }

  /** Our streams open now. */
  get openStreams(): number {
    return this.localOpen;
  }

  flowControl(): FlowControlWindows | undefined {
    return this.finished ? undefined : this.windows();
  }

  keepalivesSent(): number {
    return this.keepalive?.pingsSent ?? 0;
  }

  protected isIdle(streamId: number): boolean {
    return streamId % 2 === 0 || streamId >= this.nextStreamId;
  }

  protected describeFailure(message: string, cause?: unknown): Error {
    // A TLS server closes on a plaintext client's preface without a byte in answer.
    if (this.firstByte === -1 && !this.closedByUs) message += `, before sending a byte: if the server expects TLS, ${useTls.charAt(0).toLowerCase()}${useTls.slice(1)}`;
    // Before the server's SETTINGS the failure is a failed connect, which the channel
    // reports as "failed to connect to <address>: ..."; naming the address again repeats it.
    const text = this.settingsSeen ? `connection to ${this.peer.address} failed: ${message}` : message;
    return new Error(text, cause === undefined ? undefined : { cause });
  }

  /**
   * A plaintext client talking to a TLS server gets a TLS record (an alert, or a
   * handshake) where SETTINGS should be: say so, rather than report a malformed frame.
   */
  protected override inspectFirstBytes(chunk: Buffer): boolean {
    if (this.firstByte === -2 || chunk.byteLength === 0) return true;
    const b0 = this.firstByte >= 0 ? this.firstByte : chunk[0];
    const b1 = this.firstByte >= 0 ? chunk[0] : chunk[1];
    if (b1 === undefined) {
      this.firstByte = b0;
      return true;
    }
    this.firstByte = -2;
    if ((b0 === tlsAlert || b0 === tlsHandshake) && b1 === tlsMajorVersion) {
      this.abort(`the server answered with a TLS record: it seems to expect TLS. ${useTls}`);
      return false;
    }
    return true;
  }

  protected override remoteSettingsApplied(): void {
    if (!this.settingsSeen) {
      this.settingsSeen = true;
      this.onReady();
    }
    this.startWaiting();
  }

  openStream(headers: Http2Headers, listener: ClientStreamListener): ClientTransportStream {
    if (this.closed) {
      throw this.failure ?? new Error(`connection to ${this.peer.address} is closed`);
    }
    const stream = new H2ClientStream(this, headers, listener);
    if (this.keepalive?.dormant === true) this.keepalive.streamOpened();
    if (this.waiting.length === 0 && this.localOpen < this.remoteSettings.maxConcurrentStreams) this.startStream(stream);
    else this.waiting.push(stream);
    return stream;
  }

  private startStream(stream: H2ClientStream): void {
    const oversize = this.headerListOverLimit(stream.peekRequestHeaders());
    if (oversize > 0) {
      const limit = this.remoteSettings.maxHeaderListSize;
      const error = new Error(`request header list of ${oversize} bytes is larger than the server's SETTINGS_MAX_HEADER_LIST_SIZE of ${limit}`);
      this.closeStream(stream, ErrorCode.PROTOCOL_ERROR, error);
      return;
    }
    if (this.nextStreamId > maxStreamId) {
      // Stream ids are spent: this connection takes no more; core opens a new one.
      this.close();
      this.closeStream(stream, ErrorCode.REFUSED_STREAM, undefined);
      return;
    }
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    this.localOpen++;
    this.addStream(stream, id);
    this.pushHeaders(id, stream.takeRequestHeaders(), false);
    this.streamStarted(stream);
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && !this.closed && this.localOpen < this.remoteSettings.maxConcurrentStreams) {
      const stream = this.waiting.shift()!;
      if (!stream.closed) this.startStream(stream);
    }
  }

  protected onHeaderBlock(streamId: number, endStream: boolean, fields: string[], fault: HpackBlockFault | undefined): void {
    const stream = this.streams.get(streamId) as H2ClientStream | undefined;
    if (stream === undefined) {
      if (this.isIdle(streamId)) return this.connectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, which we did not open`);
      if (!this.wasResetByUs(streamId)) this.resetStreamId(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (stream.remoteEnded) return this.streamError(stream, ErrorCode.STREAM_CLOSED, "HEADERS after END_STREAM");
    if (fault === "invalid-name") return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, "the server sent an invalid header name");
    if (fault === "header-list-too-large") {
      return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `the server's header list is larger than our limit of ${this.local.maxHeaderListSize} bytes`);
    }
    if (!stream.headersReceived) {
      const headers = headersFromFields(fields, BlockKind.Response);
      if (typeof headers === "string") return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `malformed response headers: ${headers}`);
      const status = headers[":status"] as string;
      if (status.charCodeAt(0) === 0x31 /* 1xx */) {
        if (endStream || status === "101") return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `informational :status ${status} ending the stream`);
        return;
      }
      stream.headersReceived = true;
      // As node:http2 gives it: the status as a number.
      headers[":status"] = Number(status);
      const length = headers["content-length"];
      if (length !== undefined) stream.contentLength = Number(length);
      stream.inOrder(() => stream.listener.onHeaders(headers, endStream));
      if (endStream) this.remoteEnd(stream);
      return;
    }
    if (!endStream) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM");
    const trailers = headersFromFields(fields, BlockKind.Trailers);
    if (typeof trailers === "string") return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `malformed trailers: ${trailers}`);
    if (stream.contentLength >= 0 && stream.receivedBytes !== stream.contentLength) {
      return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `DATA does not add up to content-length ${stream.contentLength}`);
    }
    stream.inOrder(() => stream.listener.onTrailers(trailers));
    this.remoteEnd(stream);
  }

  /** The response ended: a request still being sent is cut off (RFC 9113 section 8.1). */
  protected override afterRemoteEnd(stream: H2Stream): void {
    if (stream.localEndSent) {
      this.closeStream(stream, undefined, undefined);
      return;
    }
    this.resetStreamId(stream.id, ErrorCode.NO_ERROR);
    this.closeStream(stream, undefined, undefined);
  }

  protected override peerResetCode(_stream: H2Stream, code: number): number | undefined {
    return code === ErrorCode.NO_ERROR ? undefined : code;
  }

  protected deliverDrain(stream: H2Stream): void {
    (stream as H2ClientStream).listener.onDrain();
  }

  protected deliverClose(stream: H2Stream, rstCode: number | undefined, error: Error | undefined): void {
    (stream as H2ClientStream).listener.onClose(rstCode, error);
  }

  protected streamClosed(stream: H2Stream): void {
    if (stream.id === 0) return;
    this.localOpen--;
    if (this.waiting.length > 0) this.startWaiting();
  }

  protected goawayReceived(lastStreamId: number, code: number, debug: string): void {
    const first = this.goawayCode === undefined;
    this.goawayCode = code;
    if (code === ErrorCode.ENHANCE_YOUR_CALM && debug === tooManyPings && first) this.onTooManyPings();
    if (code !== ErrorCode.NO_ERROR) {
      this.failure ??= this.describeFailure(`the server sent GOAWAY ${errorName(code)}${debug !== "" ? ` "${debug}"` : ""}`);
    }
    this.closed = true;
    if (first) this.options.onGoaway(code);
    // Streams the server will not process are refused, so core can send them elsewhere.
    const waiting = this.waiting;
    this.waiting = [];
    for (const stream of waiting) this.closeStream(stream, ErrorCode.REFUSED_STREAM, undefined);
    for (const stream of [...this.streams.values()]) {
      if (stream.id > lastStreamId) {
        this.dropInbox(stream);
        this.closeStream(stream, ErrorCode.REFUSED_STREAM, undefined);
      }
    }
    if (this.streams.size === 0) this.allStreamsDone();
  }

  protected override allStreamsDone(): void {
    if (!this.finished) this.sendGoaway(0, ErrorCode.NO_ERROR);
    this.endSocket();
  }

  protected connectionClosed(): void {
    this.keepalive?.stop();
    let error: Error | undefined;
    if (this.hadError) error = this.failure;
    else if (this.goawayCode !== undefined) error = this.goawayCode === ErrorCode.NO_ERROR ? undefined : this.failure;
    else if (!this.closedByUs) error = this.failure ?? this.describeFailure("the connection closed");
    this.options.onClose(error);
  }

  close(): void {
    if (this.closedByUs) return;
    this.closedByUs = true;
    this.closed = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (const stream of waiting) this.closeStream(stream, ErrorCode.REFUSED_STREAM, undefined);
    if (this.streams.size === 0) this.allStreamsDone();
  }

  destroy(): void {
    if (this.finished) return;
    this.closedByUs = true;
    this.failure ??= new Error(`connection to ${this.peer.address} was closed by the client`);
    const waiting = this.waiting;
    this.waiting = [];
    for (const stream of waiting) this.closeStream(stream, ErrorCode.CANCEL, this.failure);
    this.destroySocket();
  }
}

/** One request stream, as core's ClientTransportStream. */
export class H2ClientStream extends H2Stream implements ClientTransportStream {
  headersReceived = false;
  private requestHeaders: Http2Headers | undefined;

  constructor(
    private readonly conn: H2ClientConnection,
    requestHeaders: Http2Headers,
    readonly listener: ClientStreamListener,
  ) {
    super(conn.localInitialWindowSize);
    this.requestHeaders = requestHeaders;
  }

  /** The request headers, before they are sent. */
  peekRequestHeaders(): Http2Headers {
    return this.requestHeaders!;
  }

  /** The request headers, once, when the stream's HEADERS go out. */
  takeRequestHeaders(): Http2Headers {
    const headers = this.requestHeaders!;
    this.requestHeaders = undefined;
    return headers;
  }

  write(data: Uint8Array): boolean {
    return this.conn.writeData(this, data);
  }

  end(data?: Uint8Array): void {
    if (data !== undefined) this.conn.writeData(this, data);
    this.conn.endStream(this, undefined);
  }

  reset(code: number = Http2ErrorCode.CANCEL): void {
    this.conn.resetStream(this, code);
  }

  protected emitData(chunk: Buffer): void {
    this.listener.onData(chunk);
  }

  protected released(n: number): void {
    this.conn.releaseStream(this, n);
  }
}

/** "ENHANCE_YOUR_CALM" for 0xb; the hex code for one RFC 9113 does not name. */
function errorName(code: number): string {
  for (const [name, value] of Object.entries(Http2ErrorCode)) if (value === code) return name;
  return `0x${code.toString(16)}`;
}
