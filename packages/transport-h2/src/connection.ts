/**
 * One HTTP/2 connection (RFC 9113) over a duplex socket, the part both roles share:
 * the SETTINGS exchange, flow control in both directions, PING, GOAWAY, RST_STREAM,
 * the flood limits, and sending DATA cut to the windows. The server and client
 * connections add how streams open and what their header blocks must hold.
 *
 * Nothing is thrown out of it: a protocol violation ends the stream (RST_STREAM) or
 * the connection (GOAWAY, then the socket closes), with a message saying why.
 */
import { sharedHeaders, type Http2Headers } from "@grpckit/core";
import type { Duplex } from "node:stream";
import {
  ErrorCode,
  Flag,
  FrameType,
  SettingId,
  defaultInitialWindowSize,
  frameHeaderLength,
  goawayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "./frame.js";
import { BdpEstimator, bdpLimit } from "./bdp-estimator.js";
import { FrameReader, type FrameHandler } from "./frame-reader.js";
import { ReceiveWindow, SendWindow } from "./flow-control.js";
import { encodeHeaders, headerListSize } from "./header-fields.js";
import { ReadyStreams } from "./ready-streams.js";
import { StreamTable } from "./stream-table.js";
import { HpackDecoder, type HpackBlockFault } from "./hpack-decoder.js";
import { HpackEncoder } from "./hpack-encoder.js";
import { RateLimit } from "./rate-limit.js";
import { ResetBudget } from "./reset-budget.js";
import { SettingsError, applySettings, defaultH2Settings } from "./settings.js";
import { streamHighWaterMark, streamQueueLimit, type H2Stream } from "./stream.js";
import { WriteBatcher } from "./write-batcher.js";

/** Our side's settings, resolved from the user's options. */
export interface LocalSettings {
  /** SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window. */
  initialWindowSize: number;
  /** The connection's receive window, raised from 65,535 with a WINDOW_UPDATE at start. */
  connectionWindowSize: number;
  /**
   * Windows sized by the BDP estimator: both start at 65,535 (initialWindowSize and
   * connectionWindowSize are not used) and grow with what the link carries. False when
   * the user set a window.
   */
  dynamicWindow: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS; Infinity is not sent. */
  maxConcurrentStreams: number;
  maxFrameSize: number;
  maxHeaderListSize: number;
  headerTableSize: number;
}

/** Per-connection limits against abusive peers; each ends the connection with ENHANCE_YOUR_CALM. */
export interface FloodLimits {
  /** The budget of premature and provoked stream resets, and its refill per second (see ResetBudget). */
  maxResetsPerSecond: number;
  maxEmptyDataFramesPerSecond: number;
  maxContinuationFrames: number;
}

/** How long our SETTINGS may go unacknowledged before SETTINGS_TIMEOUT. */
const settingsTimeoutMs = 10_000;
/** How long a closing socket may take to flush before it is destroyed. */
const closeLingerMs = 1_000;
/**
 * Answers (PING and SETTINGS ACKs, RST_STREAM) queued while the socket is full, before
 * a server stops reading the peer that provokes them without reading its own socket.
 */
const readPauseControlBytes = 64 << 10;
/** Answers queued while the socket is full, before the connection is ended (a client's peer, which it cannot stop reading). */
const maxStalledControlBytes = 1 << 20;
/**
 * A server stops reading a peer whose socket is full while this much output waits for
 * it: bytes in the socket and the batch, and DATA queued on streams.
 */
const readPauseOutputBytes = 4 << 20;
/**
 * Responses complete but waiting for the peer's flow-control window, and DATA queued on
 * streams, past which a server refuses new streams (REFUSED_STREAM, which clients retry):
 * a client that pipelines calls and neither reads nor grants window would otherwise have
 * the server hold every response. Reading goes on, so WINDOW_UPDATEs still arrive.
 */
const maxWaitingResponses = 1024;
const maxQueuedDataBytes = 32 << 20;
/**
 * After a connection error, how much more is read (and discarded) while the GOAWAY
 * goes out: enough that the socket does not close with unread bytes, which would make
 * the kernel send RST and could lose the GOAWAY; a peer that keeps writing after that
 * is no longer read.
 */
const readAfterErrorBytes = 2 << 20;
/**
 * DATA bytes produced per flush, so one busy stream cannot hold the socket for long;
 * as much as a stream's default window, so a stream with its window open sends it in one turn.
 */
const flushBudget = 4 << 20;
/** Header blocks of core's shared header objects (see `sharedHeaders`), encoded once. */
const sharedBlocks = new WeakMap<Http2Headers, Buffer>();
type SharedMarked = Http2Headers & { [sharedHeaders]?: boolean };

/** Queued pieces smaller than this are copied into their DATA frame rather than sent as views. */
const smallPieceBytes = 1024;
/** Frames sent that each forgive one PING (see pingCredit): more than can be in flight at once. */
const maxPingCredit = 4096;
/** Stream ids remembered after we reset them, whose in-flight frames are ignored. */
const rememberedResets = 1024;
/**
 * The payload of the BDP estimator's PING. Its first four bytes are not zero, so it is
 * never the payload of a PING `ping()` sends (a counter in the last four).
 */
const bdpPingPayload = Buffer.from("bdp ping", "latin1");
/**
 * With estimated windows, the most DATA held unread for streams whose bytes still go
 * back to the connection window on arrival (see holdForStream): past it, the
 * connection window is returned only as core reads, so a connection holds at most this
 * much more than its window.
 */
const heldBytesLimit = bdpLimit;
/** The fraction of a window the BDP estimator sizes at which consumed bytes go back (see ReceiveWindow.returnFraction). */
const dynamicReturnFraction = 0.25;

/**
 * The largest raw header block read (HEADERS and its CONTINUATIONs): a block over
 * SETTINGS_MAX_HEADER_LIST_SIZE is still decoded, to keep HPACK's state, and costs only
 * its stream (RFC 9113 section 10.5.1); past this many bytes it ends the connection.
 */
function maxHeaderBlockBytes(maxHeaderListSize: number): number {
  return Math.max(2 * maxHeaderListSize + 1024, 1 << 20);
}

interface PendingPing {
  sentAt: bigint;
  resolve(ms: number): void;
  reject(error: Error): void;
}

export abstract class H2Connection implements FrameHandler {
  readonly remoteSettings = defaultH2Settings();
  protected readonly streams = new StreamTable<H2Stream>();
  protected readonly out: WriteBatcher;
  protected readonly reader: FrameReader;
  protected readonly encoder = new HpackEncoder();
  protected readonly decoder: HpackDecoder;
  protected readonly sendWindow = new SendWindow(defaultInitialWindowSize);
  protected readonly recvWindow: ReceiveWindow;
  /** Sizes the receive windows from PING-timed samples; undefined when the user set a window. */
  private readonly bdp: BdpEstimator | undefined;
  /** Our SETTINGS_INITIAL_WINDOW_SIZE: each new stream's receive window. */
  private initialWindow: number;
  /** With estimated windows: DATA bytes received for streams that core has not consumed or dropped. */
  private heldBytes = 0;
  /** Of heldBytes, those already returned to the connection window on arrival (see holdForStream). */
  private returnedEarly = 0;
  /** The highest stream id the peer opened. */
  protected lastPeerStreamId = 0;
  /** Set once GOAWAY went out; the value is its last-stream-id. */
  protected goawayLastStreamId = -1;
  /** The connection is closing or closed: no new streams. */
  closed = false;
  /** The socket has closed and every stream was told. */
  finished = false;
  /** Why the connection ended, when it did not end cleanly. */
  failure: Error | undefined;
  /** Set whenever bytes arrive, for keepalive. */
  received = false;
  /**
   * DATA and HEADERS frames sent that no PING from the peer has answered yet. A peer
   * may PING once per frame we send (grpc-go's BDP estimator pings as DATA arrives),
   * so each frame forgives one PING in keepalive enforcement; at most maxPingCredit
   * are remembered, so a long busy spell does not buy a later PING flood.
   */
  private pingCredit = 0;

  private readonly ready = new ReadyStreams<H2Stream>();
  /** Streams whose end (trailers or END_STREAM) is queued behind DATA not yet sent (each marked `waitingToEnd`). */
  private waitingToEnd = 0;
  private readonly resetByUs = new Set<number>();
  private readonly pings = new Map<number, PendingPing>();
  private nextPingId = 1;
  private settingsAcked = false;
  private settingsTimer: ReturnType<typeof setTimeout> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly resets: ResetBudget;
  private readonly emptyDataLimit: RateLimit;
  private errored = false;
  /** DATA queued on streams and not yet framed, over all streams. */
  private queuedDataBytes = 0;
  /** Answers queued since the socket last took everything. */
  private stalledControlBytes = 0;
  /** Reading is paused until the socket drains (server: see readPauseOutputBytes). */
  private readPaused = false;
  /** Bytes read after a connection error. */
  private readAfterError = 0;

  constructor(
    protected readonly socket: Duplex,
    protected readonly local: LocalSettings,
    limits: FloodLimits,
    isServer: boolean,
  ) {
    this.resets = new ResetBudget(limits.maxResetsPerSecond);
    this.emptyDataLimit = new RateLimit(limits.maxEmptyDataFramesPerSecond);
    this.decoder = new HpackDecoder({ maxTableSize: local.headerTableSize, maxHeaderListSize: local.maxHeaderListSize });
    if (local.dynamicWindow) {
      this.bdp = new BdpEstimator(defaultInitialWindowSize);
      this.initialWindow = defaultInitialWindowSize;
      this.recvWindow = new ReceiveWindow(defaultInitialWindowSize);
      this.recvWindow.returnFraction = dynamicReturnFraction;
    } else {
      this.initialWindow = local.initialWindowSize;
      this.recvWindow = new ReceiveWindow(Math.max(local.connectionWindowSize, defaultInitialWindowSize));
    }
    this.reader = new FrameReader(this, {
      // Our limit from the start: a peer may use it as soon as it reads our SETTINGS.
      maxFrameSize: local.maxFrameSize,
      expectPreface: isServer,
      maxHeaderBlockBytes: maxHeaderBlockBytes(local.maxHeaderListSize),
      maxContinuationFrames: limits.maxContinuationFrames,
    });
    this.out = new WriteBatcher(socket, this.onSocketDrain, this.produceData);
  }

  /** Sends our preface (SETTINGS, the connection window) and starts reading. */
  protected start(clientPreface: Buffer | undefined): void {
    const socket = this.socket;
    if (clientPreface !== undefined) this.out.push(clientPreface);
    const local = this.local;
    const settings: [number, number][] = [];
    if (clientPreface !== undefined) settings.push([SettingId.ENABLE_PUSH, 0]);
    if (local.maxConcurrentStreams !== Infinity) settings.push([SettingId.MAX_CONCURRENT_STREAMS, local.maxConcurrentStreams]);
    if (this.initialWindow !== defaultInitialWindowSize) settings.push([SettingId.INITIAL_WINDOW_SIZE, this.initialWindow]);
    if (local.maxFrameSize !== 16_384) settings.push([SettingId.MAX_FRAME_SIZE, local.maxFrameSize]);
    if (local.headerTableSize !== 4096) settings.push([SettingId.HEADER_TABLE_SIZE, local.headerTableSize]);
    settings.push([SettingId.MAX_HEADER_LIST_SIZE, local.maxHeaderListSize]);
    this.out.push(settingsFrame(settings));
    const extra = this.recvWindow.target - defaultInitialWindowSize;
    if (extra > 0) this.out.push(windowUpdateFrame(0, extra));
    this.settingsTimer = setTimeout(() => {
      this.settingsTimer = undefined;
      this.connectionError(ErrorCode.SETTINGS_TIMEOUT, `our SETTINGS were not acknowledged within ${settingsTimeoutMs} ms`);
    }, settingsTimeoutMs);
    this.settingsTimer.unref?.();
    socket.on("data", this.onSocketData);
    socket.on("error", (e: Error) => {
      this.failure ??= this.describeFailure(e.message, e);
    });
    socket.once("close", () => this.finish());
    socket.once("end", () => {
      // The peer half-closed: it will send nothing more, so the connection is over.
      if (!this.closed) {
        this.failure ??= this.describeFailure("the peer closed the connection");
        this.closed = true;
      }
      this.endSocket();
    });
  }

  // ---- what the roles provide ----

  /** A complete header block arrived (decoded, with its fault if any). */
  protected abstract onHeaderBlock(streamId: number, endStream: boolean, fields: string[], fault: HpackBlockFault | undefined): void;
  /** True for a stream id the peer or we could still open (nothing may arrive on it). */
  protected abstract isIdle(streamId: number): boolean;
  /** The stream closed; the role updates its counts. */
  protected abstract streamClosed(stream: H2Stream): void;
  /** The peer sent GOAWAY. */
  protected abstract goawayReceived(lastStreamId: number, code: number, debug: string): void;
  /** The connection is gone; every stream was closed. */
  protected abstract connectionClosed(): void;
  /** An Error for the connection's failure, naming the peer. */
  protected abstract describeFailure(message: string, cause?: unknown): Error;
  /** The stream ended normally in both directions or was reset: tell core. */
  protected abstract deliverClose(stream: H2Stream, rstCode: number | undefined, error: Error | undefined): void;

  // ---- reading ----

  private readonly onSocketData = (chunk: Buffer): void => {
    this.received = true;
    if (this.errored) {
      // The reader stopped; a bounded amount more is read so the GOAWAY can get out.
      this.readAfterError += chunk.byteLength;
      if (this.readAfterError > readAfterErrorBytes) this.socket.pause();
      return;
    }
    if (!this.inspectFirstBytes(chunk)) return;
    try {
      this.reader.push(chunk);
    } catch (e) {
      // A bug in a callback must cost this connection only.
      this.connectionError(ErrorCode.INTERNAL_ERROR, `internal error while reading: ${(e as Error).message}`);
    }
    if (this.pausesReading && !this.out.writable && !this.readPaused && this.outputBacklogOverBound()) {
      this.readPaused = true;
      this.socket.pause();
    }
  };

  /** The first bytes of a connection, before they are read as frames; false when the role ended the connection over them. */
  protected inspectFirstBytes(_chunk: Buffer): boolean {
    return true;
  }

  /**
   * True for the role that stops reading a peer that does not read (the server; a
   * client keeps reading, so two grpckit peers never both wait for the other to read).
   */
  protected abstract readonly pausesReading: boolean;

  /** Output waiting for a peer that is not taking it is past the bound (see readPauseOutputBytes). */
  private outputBacklogOverBound(): boolean {
    if (this.stalledControlBytes > readPauseControlBytes) return true;
    const inSocket = (this.socket as { writableLength?: number }).writableLength ?? 0;
    return inSocket + this.out.pendingBytes + this.queuedDataBytes > readPauseOutputBytes;
  }

  /** Too much output waits for the peer's window: new streams are refused (see maxWaitingResponses). */
  protected get outputBlocked(): boolean {
    return this.waitingToEnd >= maxWaitingResponses || this.queuedDataBytes >= maxQueuedDataBytes;
  }

  onData(streamId: number, endStream: boolean, data: Buffer, flowLength: number): void {
    if (!this.recvWindow.receive(flowLength)) {
      return this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, `DATA beyond the connection's flow-control window (${flowLength} bytes, ${this.recvWindow.size} allowed)`);
    }
    // An empty frame carries no sample, so it starts none.
    if (this.bdp !== undefined && flowLength > 0 && this.bdp.received(flowLength, performance.now()) && !this.closed) {
      this.sendBdpPing();
    }
    // Windows are returned as core consumes the data, so a reader that stops stops the
    // peer: a stream after its window, the connection after the connection window
    // (estimated windows: after 16 MiB held, see holdForStream).
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      this.releaseConnection(flowLength);
      if (this.isIdle(streamId)) return this.connectionError(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${streamId}`);
      if (!this.resetByUs.has(streamId)) this.resetStreamId(streamId, ErrorCode.STREAM_CLOSED);
      return;
    }
    if (stream.remoteEnded) {
      this.releaseConnection(flowLength);
      return this.streamError(stream, ErrorCode.STREAM_CLOSED, `DATA on stream ${streamId} after its END_STREAM`);
    }
    if (!stream.recvWindow.receive(flowLength)) {
      this.releaseConnection(flowLength);
      return this.streamError(stream, ErrorCode.FLOW_CONTROL_ERROR, `DATA beyond stream ${streamId}'s flow-control window`);
    }
    if (this.bdp !== undefined) this.holdForStream(flowLength);
    if (data.byteLength === 0 && !endStream && !this.emptyDataLimit.take()) {
      return this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "too many empty DATA frames", "too_many_empty_frames");
    }
    const padding = flowLength - data.byteLength;
    if (padding > 0) this.releaseStream(stream, padding);
    if (stream.contentLength >= 0) {
      stream.receivedBytes += data.byteLength;
      if (stream.receivedBytes > stream.contentLength || (endStream && stream.receivedBytes !== stream.contentLength)) {
        return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `DATA does not add up to content-length ${stream.contentLength}`);
      }
    }
    if (data.byteLength > 0) stream.receive(data);
    if (endStream && !stream.closed) this.remoteEnd(stream);
  }

  onHeaders(streamId: number, endStream: boolean, block: Buffer, dependsOn: number | undefined): void {
    let fields: string[];
    try {
      fields = this.decoder.decode(block);
    } catch (e) {
      return this.connectionError(ErrorCode.COMPRESSION_ERROR, `undecodable header block: ${(e as Error).message}`);
    }
    if (dependsOn === streamId) {
      const stream = this.streams.get(streamId);
      if (stream !== undefined) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `stream ${streamId} depends on itself`);
      if (!this.chargeReset()) return;
      this.resetStreamId(streamId, ErrorCode.PROTOCOL_ERROR);
      if (streamId > this.lastPeerStreamId && streamId % 2 === 1) this.lastPeerStreamId = streamId;
      return;
    }
    this.onHeaderBlock(streamId, endStream, fields, this.decoder.fault);
  }

  onPriority(streamId: number, dependsOn: number): void {
    if (dependsOn !== streamId) return;
    const stream = this.streams.get(streamId);
    if (stream !== undefined) this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `stream ${streamId} depends on itself`);
    else if (this.chargeReset()) this.resetStreamId(streamId, ErrorCode.PROTOCOL_ERROR);
  }

  onStreamError(streamId: number, code: number, message: string): void {
    const stream = this.streams.get(streamId);
    if (stream !== undefined) this.streamError(stream, code, message);
    else if (this.chargeReset()) this.resetStreamId(streamId, code);
  }

  onRstStream(streamId: number, code: number): void {
    if (this.isIdle(streamId)) return this.connectionError(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    // A reset before the request was complete is what rapid reset (CVE-2023-44487) is
    // made of: the server took the stream and could do nothing useful with it. A reset
    // after it (a deadline, a hedged call's loser) comes after the handler had its
    // request, and costs nothing here.
    if (!stream.remoteEnded && !this.chargeReset()) return;
    this.dropInbox(stream);
    this.closeStream(stream, this.peerResetCode(stream, code), undefined);
  }

  /** The code core sees for a reset by the peer. */
  protected peerResetCode(_stream: H2Stream, code: number): number | undefined {
    return code;
  }

  onSettings(ack: boolean, params: Buffer): void {
    if (ack) {
      if (!this.settingsAcked) {
        this.settingsAcked = true;
        if (this.settingsTimer !== undefined) clearTimeout(this.settingsTimer);
        this.settingsTimer = undefined;
        this.decoder.setMaxTableSize(this.local.headerTableSize);
      }
      return;
    }
    const remote = this.remoteSettings;
    const tableSizeBefore = remote.headerTableSize;
    let delta: number;
    try {
      delta = applySettings(remote, params);
    } catch (e) {
      const code = e instanceof SettingsError ? e.code : ErrorCode.PROTOCOL_ERROR;
      return this.connectionError(code, `invalid SETTINGS: ${(e as Error).message}`);
    }
    if (remote.headerTableSize !== tableSizeBefore) this.encoder.setPeerMaxTableSize(remote.headerTableSize);
    if (delta !== 0) {
      for (const stream of this.streams.values()) {
        if (!stream.sendWindow.grow(delta)) {
          return this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "SETTINGS_INITIAL_WINDOW_SIZE pushed a stream's window past 2^31-1");
        }
      }
      if (delta > 0) this.out.schedule();
    }
    this.pushControl(settingsFrame([], true));
    this.remoteSettingsApplied();
  }

  /** The peer's SETTINGS were applied (the first ones make a client connection ready). */
  protected remoteSettingsApplied(): void {}

  onPushPromise(): void {
    this.connectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE, which this endpoint does not allow");
  }

  onPing(ack: boolean, opaque: Buffer): void {
    if (ack && this.bdp !== undefined && opaque.equals(bdpPingPayload)) {
      const grown = this.bdp.acknowledged(performance.now());
      if (grown > 0 && !this.closed) this.growWindows(grown);
      return;
    }
    if (ack) {
      const id = opaque.readUInt32BE(4);
      const pending = this.pings.get(id);
      if (pending === undefined) return;
      this.pings.delete(id);
      pending.resolve(Number(process.hrtime.bigint() - pending.sentAt) / 1e6);
      return;
    }
    // No rate limit: PINGs that follow our DATA are legitimate (grpc-go's BDP estimator
    // sends one per round trip); a server's keepalive enforcement counts the others,
    // and a peer that does not read its ACKs is bounded in pushControl.
    this.pingReceived();
    this.pushControl(pingFrame(opaque, true));
  }

  /**
   * The BDP estimator's PING, sent as DATA arrives and none is out. The connection
   * window consumed so far goes back first, so a peer that counts PINGs not preceded by
   * frames of ours sees a WINDOW_UPDATE before each.
   */
  private sendBdpPing(): void {
    const increment = this.recvWindow.returnAll();
    if (increment > 0) this.out.push(windowUpdateFrame(0, increment));
    this.out.push(pingFrame(bdpPingPayload, false));
  }

  /**
   * The estimate grew to `size`: the connection window grows by WINDOW_UPDATE, and
   * every stream's by a new SETTINGS_INITIAL_WINDOW_SIZE, which changes the windows of
   * open streams as well as new ones (RFC 9113 section 6.9.2).
   */
  private growWindows(size: number): void {
    const increment = this.recvWindow.growTo(size);
    if (increment > 0) this.out.push(windowUpdateFrame(0, increment));
    if (size <= this.initialWindow) return;
    this.initialWindow = size;
    for (const stream of this.streams.values()) stream.recvWindow.growTo(size);
    this.out.push(settingsFrame([[SettingId.INITIAL_WINDOW_SIZE, size]]));
  }

  /** A PING (not an ACK) arrived; servers count them against their keepalive policy. */
  protected pingReceived(): void {}

  onGoaway(lastStreamId: number, code: number, debug: Buffer): void {
    this.goawayReceived(lastStreamId, code, debug.toString("latin1"));
  }

  onWindowUpdate(streamId: number, increment: number): void {
    if (streamId === 0) {
      if (increment === 0) return this.connectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on the connection");
      if (!this.sendWindow.grow(increment)) return this.connectionError(ErrorCode.FLOW_CONTROL_ERROR, "WINDOW_UPDATE pushed the connection window past 2^31-1");
      if (this.ready.size > 0) this.out.schedule();
      return;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (this.isIdle(streamId)) this.connectionError(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
      return;
    }
    if (increment === 0) return this.streamError(stream, ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE of 0 on stream ${streamId}`);
    if (!stream.sendWindow.grow(increment)) return this.streamError(stream, ErrorCode.FLOW_CONTROL_ERROR, `WINDOW_UPDATE pushed stream ${streamId}'s window past 2^31-1`);
    if (stream.queuedBytes > 0) this.out.schedule();
  }

  onConnectionError(code: number, message: string): void {
    this.connectionError(code, message);
  }

  // ---- streams ----

  /** Registers a stream under its id, with the windows both sides start it with. */
  protected addStream(stream: H2Stream, id: number): void {
    stream.id = id;
    stream.sendWindow = new SendWindow(this.remoteSettings.initialWindowSize);
    // A client stream made before the estimate last grew opens under the grown setting.
    stream.recvWindow.growTo(this.initialWindow);
    if (this.bdp !== undefined) stream.recvWindow.returnFraction = dynamicReturnFraction;
    this.streams.set(id, stream);
  }

  /** HEADERS (with CONTINUATION as needed) for `stream`, encoded now, so blocks keep their order. */
  protected pushHeaders(streamId: number, headers: Http2Headers, endStream: boolean): void {
    this.framesSent();
    if ((headers as SharedMarked)[sharedHeaders] === true && !this.encoder.sizeUpdatePending) {
      // Core's shared response headers: encoded once per process, without the dynamic
      // table, so the same bytes are right on every connection.
      let block = sharedBlocks.get(headers);
      if (block === undefined) {
        const fields: [string, string][] = [];
        encodeHeaders(headers, (name, value) => fields.push([name, value]));
        block = this.encoder.encodeStateless(fields);
        sharedBlocks.set(headers, block);
      }
      this.out.push(headersFrames(streamId, block, endStream, this.remoteSettings.maxFrameSize));
      return;
    }
    this.encoder.begin();
    encodeHeaders(headers, this.addField);
    this.out.push(headersFrames(streamId, this.encoder.end(), endStream, this.remoteSettings.maxFrameSize));
  }

  private readonly addField = (name: string, value: string): void => this.encoder.field(name, value);

  /** The size of `headers` when it is over the peer's SETTINGS_MAX_HEADER_LIST_SIZE, else 0. */
  protected headerListOverLimit(headers: Http2Headers): number {
    const limit = this.remoteSettings.maxHeaderListSize;
    if (limit === Infinity) return 0;
    const size = headerListSize(headers);
    return size > limit ? size : 0;
  }

  /**
   * What a server sends instead of response headers or trailers the client would not
   * accept: a status saying so, which fits any sane limit.
   */
  private oversizeResponse(size: number, trailersOnly: boolean): Http2Headers {
    const status: Http2Headers = {
      "grpc-status": "13",
      "grpc-message": `response header list of ${size} bytes is larger than the client's SETTINGS_MAX_HEADER_LIST_SIZE of ${this.remoteSettings.maxHeaderListSize}`,
    };
    return trailersOnly ? { ":status": 200, "content-type": "application/grpc", ...status } : status;
  }

  /** Sends response or request headers; with `endStream` the stream's sending side ends. */
  sendHeaders(stream: H2Stream, headers: Http2Headers, endStream: boolean): void {
    if (stream.closed || stream.localEnded) return;
    const oversize = this.headerListOverLimit(headers);
    if (oversize > 0) {
      headers = this.oversizeResponse(oversize, true);
      endStream = true;
    }
    this.pushHeaders(stream.id, headers, endStream);
    if (endStream) {
      stream.localEnded = true;
      stream.localEndSent = true;
      this.localEnd(stream);
    }
  }

  /** Queues DATA on `stream`; false when the caller should wait for the stream's drain. */
  writeData(stream: H2Stream, data: Uint8Array): boolean {
    if (stream.closed || stream.localEnded) return true;
    const before = stream.queuedBytes;
    const ok = stream.enqueue(data, this.highWater(stream));
    this.queuedDataBytes += stream.queuedBytes - before;
    if (stream.id !== 0 && stream.queuedBytes > 0) {
      this.ready.add(stream);
      if (this.out.writable) this.out.schedule();
    }
    return ok;
  }

  /** How much may wait on `stream` before its writer is told to wait: see streamHighWaterMark. */
  private highWater(stream: H2Stream): number {
    return Math.max(streamHighWaterMark, Math.min(stream.sendWindow.size, this.sendWindow.size, streamQueueLimit));
  }

  /** Ends the sending side after the queued DATA, with trailers or with END_STREAM on DATA. */
  endStream(stream: H2Stream, trailers: Http2Headers | undefined): void {
    if (stream.closed || stream.localEnded) return;
    stream.localEnded = true;
    if (trailers !== undefined) stream.trailersQueued = trailers;
    else stream.endQueued = true;
    if (stream.id !== 0) {
      this.markWaitingToEnd(stream);
      this.ready.add(stream);
      this.out.schedule();
    }
  }

  /** Resets `stream` with `code` (sent to the peer) and tells core. */
  resetStream(stream: H2Stream, code: number, error?: Error): void {
    if (stream.closed) return;
    if (stream.id !== 0) {
      this.pushControl(rstStreamFrame(stream.id, code));
      this.rememberReset(stream.id);
    }
    this.dropInbox(stream);
    this.closeStream(stream, code, error);
  }

  /** A stream error (RFC 9113 section 5.4.2) found while reading. */
  protected streamError(stream: H2Stream, code: number, message: string): void {
    // The peer made us reset it (MadeYouReset, CVE-2025-8671): as costly as its own reset.
    if (!this.chargeReset()) return;
    this.resetStream(stream, code, new Error(`HTTP/2 stream ${stream.id}: ${message}`));
  }

  /** Resets a stream id that has no stream object (refused, or closed already). */
  protected resetStreamId(streamId: number, code: number): void {
    this.pushControl(rstStreamFrame(streamId, code));
    this.rememberReset(streamId);
  }

  /**
   * Counts a stream reset against the peer's budget (see ResetBudget); false when the
   * budget is spent and the connection ended. Only a server counts: resets are how a
   * client is attacked by nobody, and how a server tells a client its calls ended.
   */
  protected chargeReset(): boolean {
    if (!this.pausesReading || this.resets.take()) return true;
    this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, `more stream resets than the budget of ${this.resets.perSecond} (refilled each second and by every completed stream) allows`, "too_many_resets");
    return false;
  }

  private rememberReset(streamId: number): void {
    const set = this.resetByUs;
    set.add(streamId);
    if (set.size > rememberedResets) set.delete(set.values().next().value as number);
  }

  /** True when frames on `streamId` are expected stragglers after our RST_STREAM. */
  protected wasResetByUs(streamId: number): boolean {
    return this.resetByUs.has(streamId);
  }

  /** Core consumed `n` bytes of `stream`: return them to the peer's windows. */
  releaseStream(stream: H2Stream, n: number): void {
    const increment = stream.recvWindow.release(n);
    if (increment > 0 && !stream.remoteEnded && !stream.closed) this.out.push(windowUpdateFrame(stream.id, increment));
    this.unhold(n);
  }

  /**
   * With estimated windows, `n` bytes just arrived for a stream. The connection and
   * stream windows start equal, so a stream whose reader paused would hold the whole
   * connection window and stop every other stream; as long as the connection holds
   * less than heldBytesLimit unread, the bytes go back to the connection window on
   * arrival instead of when read, and the stream's own window is what stops its peer.
   */
  private holdForStream(n: number): void {
    this.heldBytes += n;
    if (this.heldBytes > heldBytesLimit) return;
    this.returnedEarly += n;
    this.releaseConnection(n);
  }

  /** `n` bytes held for streams were consumed or dropped: those not returned on arrival go back to the connection window now. */
  private unhold(n: number): void {
    if (this.bdp === undefined) return this.releaseConnection(n);
    this.heldBytes = Math.max(0, this.heldBytes - n);
    const early = Math.min(n, this.returnedEarly);
    this.returnedEarly -= early;
    if (n > early) this.releaseConnection(n - early);
  }

  /** `n` received bytes are consumed or dropped: return them to the connection window. */
  private releaseConnection(n: number): void {
    const increment = this.recvWindow.release(n);
    if (increment > 0 && !this.closed) this.out.push(windowUpdateFrame(0, increment));
  }

  /** Drops what `stream` holds for delivery, giving its bytes back to the connection window. */
  protected dropInbox(stream: H2Stream): void {
    const dropped = stream.discardInbox();
    if (dropped > 0) this.unhold(dropped);
  }

  /** The peer sent END_STREAM on `stream`. */
  protected remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    stream.inOrder(() => this.deliverEnd(stream));
    this.afterRemoteEnd(stream);
  }

  /** Core learns the peer's side ended (server: onEnd; client: nothing, trailers said it). */
  protected deliverEnd(_stream: H2Stream): void {}

  /** Both sides ended: the stream closes. A role may also end a half-open stream here. */
  protected afterRemoteEnd(stream: H2Stream): void {
    if (stream.localEndSent) this.closeStream(stream, undefined, undefined);
  }

  /** Our END_STREAM went out. */
  protected localEnd(stream: H2Stream): void {
    if (stream.remoteEnded) this.closeStream(stream, undefined, undefined);
  }

  /** Closes `stream` (no frame sent) and tells core once what was received is delivered. */
  protected closeStream(stream: H2Stream, rstCode: number | undefined, error: Error | undefined): void {
    if (stream.closed) return;
    stream.closed = true;
    this.queuedDataBytes -= stream.queuedBytes;
    stream.clearQueue();
    this.endedWaiting(stream);
    // A stream that ran its course is work done for the peer: it earns back a reset.
    if (rstCode === undefined && error === undefined) this.resets.refund();
    this.ready.delete(stream);
    if (stream.id !== 0) this.streams.delete(stream.id);
    this.streamClosed(stream);
    // Core hears of the close after the call that caused it has returned, as with node's streams.
    stream.finally(() => queueMicrotask(() => this.deliverClose(stream, rstCode, error)));
    if (this.closed && this.streams.size === 0) this.allStreamsDone();
  }

  private markWaitingToEnd(stream: H2Stream): void {
    if (stream.waitingToEnd) return;
    stream.waitingToEnd = true;
    this.waitingToEnd++;
  }

  private endedWaiting(stream: H2Stream): void {
    if (!stream.waitingToEnd) return;
    stream.waitingToEnd = false;
    this.waitingToEnd--;
  }

  /** After GOAWAY, the last stream closed: the connection can go. */
  protected allStreamsDone(): void {
    this.endSocket();
  }

  // ---- writing DATA ----

  private readonly onSocketDrain = (): void => {
    this.stalledControlBytes = 0;
    if (this.readPaused) {
      this.readPaused = false;
      if (!this.errored) this.socket.resume();
    }
    this.out.schedule();
  };

  /**
   * Moves queued DATA into the batch as frames, as far as the connection's and each
   * stream's windows and the peer's frame size allow, a frame per stream in turn.
   */
  private readonly produceData = (): void => {
    const ready = this.ready;
    if (ready.size === 0) return;
    let budget = flushBudget;
    let drained: H2Stream[] | undefined;
    let progress = true;
    while (progress && budget > 0 && ready.size > 0) {
      progress = false;
      // The next stream is read after serving this one: serving may unlink it (a closed
      // stream), and a stream unlinked here leaves its neighbour as it was before.
      for (let stream = ready.first, next: H2Stream | undefined; stream !== undefined; stream = stream.ready ? stream.nextReady : next) {
        next = stream.nextReady;
        if (stream.closed) {
          ready.delete(stream);
          continue;
        }
        if (stream.queuedBytes > 0) {
          const n = Math.min(this.sendWindow.size, stream.sendWindow.size, this.remoteSettings.maxFrameSize, stream.queuedBytes, budget);
          if (n <= 0) continue;
          const last = n === stream.queuedBytes && stream.endQueued;
          this.pushData(stream, n, last);
          this.queuedDataBytes -= n;
          this.sendWindow.consume(n);
          stream.sendWindow.consume(n);
          this.framesSent();
          budget -= n;
          progress = true;
          if (last) {
            stream.endQueued = false;
            stream.localEndSent = true;
          }
        }
        if (stream.needDrain && stream.queuedBytes < this.highWater(stream)) (drained ??= []).push(stream);
        if (stream.queuedBytes > 0) continue;
        ready.delete(stream);
        if (stream.trailersQueued !== undefined) {
          let trailers = stream.trailersQueued;
          stream.trailersQueued = undefined;
          const oversize = this.headerListOverLimit(trailers);
          if (oversize > 0) trailers = this.oversizeResponse(oversize, false);
          this.pushHeaders(stream.id, trailers, true);
          stream.localEndSent = true;
        } else if (stream.endQueued) {
          stream.endQueued = false;
          const frame = Buffer.allocUnsafe(frameHeaderLength);
          writeFrameHeader(frame, 0, 0, FrameType.DATA, Flag.END_STREAM, stream.id);
          this.out.push(frame);
          stream.localEndSent = true;
        }
        if (stream.localEndSent) {
          this.endedWaiting(stream);
          this.localEnd(stream);
        }
      }
    }
    if (drained !== undefined) {
      for (const stream of drained) {
        if (!stream.needDrain || stream.closed) continue;
        stream.needDrain = false;
        this.deliverDrain(stream);
      }
    }
  };

  /**
   * One DATA frame of `n` queued bytes of `stream`. Large pieces go out as views after
   * the frame header, never copied; a frame made only of small pieces (many small
   * messages) is joined into one buffer, so the socket gets a few writes, not one per
   * message.
   */
  private pushData(stream: H2Stream, n: number, endStream: boolean): void {
    const parts = this.dataParts;
    stream.take(n, parts);
    let small = true;
    for (let i = 0; i < parts.length; i++) {
      if (parts[i].byteLength >= smallPieceBytes) {
        small = false;
        break;
      }
    }
    const flags = endStream ? Flag.END_STREAM : 0;
    if (small) {
      const frame = Buffer.allocUnsafe(frameHeaderLength + n);
      writeFrameHeader(frame, 0, n, FrameType.DATA, flags, stream.id);
      let o = frameHeaderLength;
      for (let i = 0; i < parts.length; i++) {
        frame.set(parts[i], o);
        o += parts[i].byteLength;
      }
      this.out.push(frame);
    } else {
      const header = Buffer.allocUnsafe(frameHeaderLength);
      writeFrameHeader(header, 0, n, FrameType.DATA, flags, stream.id);
      this.out.push(header);
      for (let i = 0; i < parts.length; i++) this.out.push(parts[i]);
    }
    parts.length = 0;
  }

  private readonly dataParts: Buffer[] = [];

  /** The stream can take writes again. */
  protected abstract deliverDrain(stream: H2Stream): void;

  /** Starts sending a stream whose id was just given (a client stream held back by the stream limit). */
  protected streamStarted(stream: H2Stream): void {
    if (stream.queuedBytes > 0 || stream.endQueued || stream.trailersQueued !== undefined) {
      this.ready.add(stream);
      this.out.schedule();
    }
  }

  /**
   * Answers to the peer (PING ACK, SETTINGS ACK, RST_STREAM), bounded for a peer that
   * sends frames needing answers and does not read them: a server stops reading it
   * (see onSocketData) until the socket drains; past a larger bound (a client, which
   * keeps reading) the connection ends.
   */
  protected pushControl(frame: Buffer): void {
    if (!this.out.writable) {
      this.stalledControlBytes += frame.byteLength;
      if (this.stalledControlBytes > maxStalledControlBytes) {
        this.connectionError(ErrorCode.ENHANCE_YOUR_CALM, "the peer stopped reading while sending frames that need answers", "not_reading");
        return;
      }
    }
    this.out.push(frame);
  }

  // ---- PING ----

  /** Sends a PING; resolves with the round-trip time in milliseconds. */
  ping(): Promise<number> {
    if (this.closed) return Promise.reject(this.failure ?? this.describeFailure("the connection is closed"));
    return new Promise<number>((resolve, reject) => {
      const id = this.nextPingId++ >>> 0;
      const opaque = Buffer.alloc(8);
      opaque.writeUInt32BE(id, 4);
      this.pings.set(id, { sentAt: process.hrtime.bigint(), resolve, reject });
      this.out.push(pingFrame(opaque, false));
    });
  }

  /** A PING for a keepalive loop: `onAck` hears of its answer, or of the connection's end. */
  readonly sendPing = (onAck: (error: Error | null) => void): boolean => {
    this.ping().then(
      () => onAck(null),
      (e: Error) => onAck(e),
    );
    return true;
  };

  // ---- ending ----

  /** Sends GOAWAY; the connection takes no streams above `lastStreamId` after it. */
  protected sendGoaway(lastStreamId: number, code: number, debug?: string): void {
    this.goawayLastStreamId = lastStreamId;
    this.out.push(goawayFrame(lastStreamId, code, debug));
  }

  /**
   * A connection error (RFC 9113 section 5.4.1): GOAWAY with `code`, then the socket
   * closes and every open stream ends with the error.
   */
  connectionError(code: number, message: string, debug: string = message): void {
    if (this.errored || this.finished) return;
    this.errored = true;
    this.reader.stop();
    this.failure = this.describeFailure(message);
    this.sendGoaway(this.lastPeerStreamId, code, debug);
    this.closed = true;
    this.failStreams();
    this.endSocket();
  }

  /**
   * Ends the connection now with `message` as its failure. With `code`, a GOAWAY
   * carrying it (and `debug`) goes out first; without, the socket just closes (the
   * peer is not answering anyway).
   */
  abort(message: string, code?: number, debug?: string): void {
    if (code !== undefined) return this.connectionError(code, message, debug);
    if (this.errored || this.finished) return;
    this.errored = true;
    this.reader.stop();
    this.failure = this.describeFailure(message);
    this.destroySocket();
  }

  /** Ends every stream with the connection's failure. */
  protected failStreams(): void {
    const error = this.failure ?? this.describeFailure("the connection closed");
    for (const stream of [...this.streams.values()]) {
      this.dropInbox(stream);
      this.closeStream(stream, ErrorCode.CANCEL, error);
    }
  }

  /** Flushes what is queued, half-closes the socket and destroys it if the peer lingers. */
  protected endSocket(): void {
    if (this.lingerTimer !== undefined || this.finished) return;
    this.closed = true;
    this.out.flush();
    this.out.close();
    const socket = this.socket;
    socket.end();
    this.lingerTimer = setTimeout(() => socket.destroy(), closeLingerMs);
    this.lingerTimer.unref?.();
  }

  /** Closes the socket now. */
  destroySocket(error?: Error): void {
    if (error !== undefined) this.failure ??= error;
    this.closed = true;
    this.out.close();
    this.socket.destroy();
  }

  /** The socket closed: every stream and pending ping learns it, once. */
  private finish(): void {
    if (this.finished) return;
    this.closed = true;
    if (this.settingsTimer !== undefined) clearTimeout(this.settingsTimer);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.out.close();
    this.failStreams();
    this.finished = true;
    const error = this.failure ?? this.describeFailure("the connection closed");
    for (const ping of this.pings.values()) ping.reject(error);
    this.pings.clear();
    this.connectionClosed();
  }

  /** Headers or DATA went out since the peer's last PING (see pingCredit); core's keepalive enforcement clears it at each PING. */
  get sent(): boolean {
    return this.pingCredit > 0;
  }

  set sent(value: boolean) {
    if (value) this.framesSent();
    else if (this.pingCredit > 0) this.pingCredit--;
  }

  private framesSent(): void {
    if (this.pingCredit < maxPingCredit) this.pingCredit++;
  }

  /** The connection ended with a connection error (ours or found in the peer's frames). */
  protected get hadError(): boolean {
    return this.errored;
  }

  /** Our SETTINGS_INITIAL_WINDOW_SIZE, each new stream's receive window (grown by the BDP estimator). */
  get localInitialWindowSize(): number {
    return this.initialWindow;
  }

  /** The connection's windows, for channelz. */
  windows(): { local: number; remote: number } {
    return { local: this.recvWindow.size, remote: this.sendWindow.size };
  }
}

