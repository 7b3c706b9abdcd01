/**
 * One server call on the wire: decodes request frames, runs the handler, frames the
 * responses and ends with exactly one status (trailers, or a trailers-only response
 * when nothing was sent yet). The call object is also the handler's context, so a
 * unary call allocates little beyond its messages.
 */
import { create, type DescMessage, type DescMethod, type MessageShape } from "@bufbuild/protobuf";
import { channelzRegistry, type ChannelzServer, type ChannelzSocket } from "../channelz/channelz.js";
import { startCallStats, type CallStats, type StatsHandler } from "../observability/stats.js";
import { Code } from "../status/code.js";
import { protoCodec, serializeMessage, type Codec } from "../wire/codec.js";
import { parseAcceptEncoding, type Compressor } from "../wire/compression.js";
import { EnvelopeDecoder, contiguous, encodeSmallProtoFrame, envelopeHeaderBytes, writeMessageFrame } from "../wire/envelope.js";
import type { MessagePieces } from "../wire/proto-encoder.js";
import { GrpcError } from "../status/grpc-error.js";
import type { HandlerContext } from "./handler-context.js";
import { inflateWithin, type InflateBudget } from "../call/inflate-budget.js";
import { isMarkedUncompressed, markReceivedCompressed } from "../call/message-marks.js";
import { LongTimer } from "../timers/long-timer.js";
import { MessageQueue } from "../call/message-queue.js";
import { StepChain } from "../call/step-chain.js";
import { Metadata } from "../metadata/metadata.js";
import { headersToMetadata, metadataToHeaders } from "../wire/metadata-headers.js";
import { H, firstHeader, sharedOkTrailers, sharedResponseHeaders, writeStatus } from "../wire/protocol.js";
import { encodeStatusDetails } from "../status/status-details.js";
import type { Registry } from "../registry/registry.js";
import type { ServerHandlerFn, ServerStreamRequest, ServerUnaryRequest } from "./server-interceptor.js";
import type { RunningCallLinks } from "./running-calls.js";
import { Http2ErrorCode, type Http2Headers, type Peer, type ServerStreamListener, type ServerTransportStream } from "../transport/transport.js";

/** A method as the server dispatches it. */
export interface RegisteredMethod {
  readonly method: DescMethod;
  readonly path: string;
  readonly kind: DescMethod["methodKind"];
  // Handlers are typed at addService; here they are called generically.
  readonly handler: (req: any, ctx: HandlerContext) => any;
}

/** What a call needs of its server. */
export interface ServerCallHost {
  readonly compressors: Registry<Compressor>;
  readonly acceptEncoding: string;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  /** The interceptor chain around the final handler, or undefined when there are none. */
  readonly intercept: ((final: ServerHandlerFn) => ServerHandlerFn) | undefined;
  /** The server's channelz record, when channelz is enabled: calls are counted on it. */
  readonly channelz?: ChannelzServer | undefined;
  /** Stats handlers told about every call; undefined when there are none. */
  readonly statsHandlers?: readonly StatsHandler[] | undefined;
  callEnded(call: ServerCall): void;
}

const emptyMetadata = new Metadata();

/** Request messages queued before the stream stops reading. */
const requestHighWater = 16;

/** Why the stream is not being read: the handler is behind, or messages wait to be inflated. */
const pausedByQueue = 1;
const pausedByInflation = 2;

/** Compressed messages a call holds (one inflating, the rest waiting) before its stream stops reading. */
const inflationBacklog = 2;

export class ServerCall implements ServerStreamListener, HandlerContext, RunningCallLinks<ServerCall> {
  /** The server's list of running calls (see RunningCalls). */
  previousRunning: ServerCall | undefined = undefined;
  nextRunning: ServerCall | undefined = undefined;
  // Made on first use: most calls never touch them.
  private _responseHeader: Metadata | undefined;
  private _responseTrailer: Metadata | undefined;
  private _metadata: Metadata | undefined;
  readonly path: string;
  readonly method: DescMethod;
  private headersSent = false;
  private closed = false;
  private controller: AbortController | undefined;
  private abortReason: GrpcError | undefined;
  private timer: LongTimer | undefined;
  private decoder: EnvelopeDecoder;
  /** Keeps request messages and the half-close in order around async decompression; made for the first compressed message. */
  private steps: StepChain | undefined;
  private unaryRequest: MessageShape<DescMessage> | undefined;
  private requestCount = 0;
  private queue: MessageQueue<MessageShape<DescMessage>> | undefined;
  private sendCompressor: Compressor | undefined;
  private drainWaiters: (() => void)[] | undefined;
  private halfClosed = false;
  private czSocket: ChannelzSocket | undefined;
  private readonly stats: CallStats | undefined;
  /** The pausedBy* reasons in force; the stream reads again when none is left. */
  private pausedBy = 0;
  /** Compressed messages received and not yet inflated (or refused). */
  private inflationsPending = 0;

  constructor(
    private readonly host: ServerCallHost,
    private readonly stream: ServerTransportStream,
    private readonly registered: RegisteredMethod,
    private readonly codec: Codec,
    private readonly contentType: string,
    readonly deadline: number | undefined,
    private readonly requestCompressor: Compressor | undefined,
    /** The budgets a compressed request message is inflated within: its connection's, then the server's. */
    private readonly inflateBudgets: readonly InflateBudget[] = [],
    /** The request metadata, when the server decoded it already (for its taps). */
    metadata?: Metadata,
  ) {
    this._metadata = metadata;
    this.path = registered.path;
    this.method = registered.method;
    this.decoder = new EnvelopeDecoder(host.maxReceiveMessageBytes, this.onFrame);
    // By default a response is compressed as its request was, as grpc-go does.
    if (requestCompressor !== undefined && this.clientAccepts(requestCompressor.name)) this.sendCompressor = requestCompressor;
    if (host.channelz !== undefined) this.recordStart(host.channelz);
    if (host.statsHandlers !== undefined) {
      this.stats = startCallStats(host.statsHandlers, { side: "server", method: this.path, peer: stream.peer.address, startTime: Date.now() });
      if (this.stats !== undefined) this.statsBegin(this.stats);
    }
  }

  private statsBegin(stats: CallStats): void {
    const time = Date.now();
    stats.emit({ type: "begin", attempt: 0, transparentRetry: false, hedge: false, time });
    let metadata: Metadata;
    try {
      metadata = this.metadata;
    } catch {
      // Invalid metadata ends the call when the handler reads it; the headers are told without it.
      metadata = new Metadata();
    }
    stats.emit({
      type: "inHeader",
      attempt: 0,
      metadata,
      compression: this.requestCompressor?.name,
      method: this.path,
      authority: firstHeader(this.stream.headers, H.authority),
      timeoutMs: this.deadline === undefined ? undefined : Math.max(0, this.deadline - time),
      peer: this.stream.peer.address,
      localAddress: this.stream.connection?.localAddress,
      time,
    });
  }

  private statsOutHeader(metadata: Metadata | undefined): void {
    this.stats?.emit({
      type: "outHeader",
      attempt: 0,
      metadata: metadata ?? emptyMetadata,
      compression: this.sendCompressor?.name,
      peer: this.stream.peer.address,
      localAddress: this.stream.connection?.localAddress,
      time: Date.now(),
    });
  }

  private recordStart(server: ChannelzServer): void {
    server.calls.callStarted();
    const connection = this.stream.connection;
    this.czSocket = connection === undefined ? undefined : channelzRegistry()?.socketOf.get(connection);
    this.czSocket?.streamStarted();
  }

  private statsEnd(error: GrpcError | undefined, statusSent: boolean): void {
    this.stats?.emit({ type: "end", attempt: 0, code: error?.code ?? Code.OK, error, statusExchanged: statusSent, time: Date.now() });
  }

  /** `statusSent`: the stream ended with our END_STREAM rather than a reset. */
  private recordEnd(ok: boolean, statusSent: boolean): void {
    this.host.channelz?.calls.callEnded(ok);
    this.czSocket?.streamEnded(statusSent);
  }

  get peer(): Peer {
    return this.stream.peer;
  }

  /** The request metadata, decoded from the headers when first asked for. */
  get metadata(): Metadata {
    // Invalid -bin values throw a GrpcError(INTERNAL) here, ending the call with it.
    return (this._metadata ??= headersToMetadata(this.stream.headers));
  }

  get responseHeader(): Metadata {
    return (this._responseHeader ??= new Metadata());
  }

  get responseTrailer(): Metadata {
    return (this._responseTrailer ??= new Metadata());
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  timeRemaining(): number {
    return this.deadline === undefined ? Infinity : Math.max(0, this.deadline - Date.now());
  }

  setCompression(encoding: string): void {
    if (encoding === "identity") {
      this.sendCompressor = undefined;
      return;
    }
    const c = this.host.compressors.get(encoding);
    if (c !== undefined && this.clientAccepts(encoding)) this.sendCompressor = c;
  }

  private clientAccepts(name: string): boolean {
    const accept = this.stream.headers[H.acceptEncoding];
    if (typeof accept !== "string") return false;
    return parseAcceptEncoding(accept).includes(name);
  }

  sendHeader(metadata?: Metadata): void {
    if (metadata !== undefined) this.responseHeader.merge(metadata);
    this.writeHeaders();
  }

  private writeHeaders(): void {
    if (this.headersSent || this.closed) return;
    this.headersSent = true;
    const plain = this.requestCompressor === undefined && this.sendCompressor === undefined;
    if (plain && (this._responseHeader === undefined || this._responseHeader.size === 0)) {
      // The common case: the same headers for every call, so one shared object the
      // transport may encode once.
      this.stream.sendHeaders(sharedResponseHeaders(this.contentType), false);
      if (this.stats !== undefined) this.statsOutHeader(undefined);
      return;
    }
    const h: Http2Headers = { [H.status]: 200, [H.contentType]: this.contentType };
    // What this server accepts matters to a client that compresses; others are spared it.
    if (!plain) {
      h[H.acceptEncoding] = this.host.acceptEncoding;
    }
    if (this.sendCompressor !== undefined) h[H.encoding] = this.sendCompressor.name;
    if (this._responseHeader !== undefined && this._responseHeader.size > 0) metadataToHeaders(this._responseHeader, h);
    this.stream.sendHeaders(h, false);
    if (this.stats !== undefined) this.statsOutHeader(this._responseHeader);
  }

  /** Starts the call: the stream's events flow in, the handler runs. */
  start(): void {
    if (this.deadline !== undefined) this.timer = new LongTimer(() => this.onDeadline(), this.deadline - Date.now());
    // The request queue exists before the listener is set: a transport may deliver
    // what it buffered, END_STREAM included, inside setListener, and a request that
    // ended on its HEADERS frame is an empty stream, as one ended by an empty DATA frame.
    const kind = this.registered.kind;
    const streaming = kind === "client_streaming" || kind === "bidi_streaming";
    if (streaming) {
      this.queue = new MessageQueue(
        requestHighWater,
        () => this.pauseReading(pausedByQueue),
        () => this.resumeReading(pausedByQueue),
        () => {},
      );
    }
    this.stream.setListener(this);
    if (streaming && !this.closed) this.runHandler(this.queue);
  }

  private pauseReading(reason: number): void {
    if (this.pausedBy === 0) this.stream.pause();
    this.pausedBy |= reason;
  }

  private resumeReading(reason: number): void {
    if ((this.pausedBy & reason) === 0) return;
    this.pausedBy &= ~reason;
    if (this.pausedBy === 0) this.stream.resume();
  }

  // ServerStreamListener

  onData(chunk: Uint8Array): void {
    if (this.closed || this.halfClosed) return;
    try {
      this.decoder.push(chunk);
    } catch (e) {
      this.fail(GrpcError.from(e, Code.INTERNAL));
    }
  }

  private readonly onFrame = (data: Uint8Array, compressed: boolean): void => {
    if (compressed) {
      const d = this.requestCompressor;
      if (d === undefined) {
        throw new GrpcError(Code.INTERNAL, "received a compressed message but the request has no grpc-encoding");
      }
      const max = this.host.maxReceiveMessageBytes;
      if (++this.inflationsPending >= inflationBacklog) this.pauseReading(pausedByInflation);
      (this.steps ??= new StepChain()).add(() =>
        inflateWithin(this.inflateBudgets, d, data, max, () => this.closed).then(
          (plain) => {
            this.inflated();
            if (plain !== undefined) this.deliver(plain, true, data.byteLength);
          },
          (e) => {
            this.inflated();
            this.fail(GrpcError.from(e, Code.INTERNAL));
          },
        ),
      );
      return;
    }
    // Uncompressed and nothing inflating before it: delivered now, with no closure made.
    const steps = this.steps;
    if (steps === undefined || !steps.pending) this.deliver(data, false, data.byteLength);
    else steps.add(() => this.deliver(data, false, data.byteLength));
  };

  private inflated(): void {
    if (--this.inflationsPending < inflationBacklog) this.resumeReading(pausedByInflation);
  }

  /** `wireLength`: the message's size as it came, compressed when it was. */
  private deliver(data: Uint8Array, compressed: boolean, wireLength: number): void {
    if (this.closed) return;
    let msg: MessageShape<DescMessage>;
    try {
      msg = this.codec.decode(this.registered.method.input, data);
    } catch (e) {
      // A codec may say what a parse failure is (Connect's is INVALID_ARGUMENT); gRPC's is INTERNAL.
      this.fail(e instanceof GrpcError ? e : new GrpcError(Code.INTERNAL, `failed to parse request message: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    if (compressed) markReceivedCompressed(msg);
    this.czSocket?.messageReceived();
    this.stats?.emit({
      type: "inPayload",
      attempt: 0,
      message: msg,
      length: data.byteLength,
      compressedLength: wireLength,
      data: () => data,
      time: Date.now(),
    });
    this.requestCount++;
    if (this.queue !== undefined) {
      this.queue.push(msg);
      return;
    }
    if (this.requestCount > 1) {
      this.fail(new GrpcError(Code.UNIMPLEMENTED, `received more than one request message for ${this.registered.kind} method ${this.path}`));
      return;
    }
    this.unaryRequest = msg;
  }

  onEnd(): void {
    if (this.closed || this.halfClosed) return;
    this.halfClosed = true;
    const steps = this.steps;
    if (steps === undefined || !steps.pending) this.finishInput();
    else steps.add(() => this.finishInput());
  }

  /** The request ended and every message before the end was delivered. */
  private finishInput(): void {
    if (this.closed) return;
    this.stats?.emit({ type: "halfClose", attempt: 0, time: Date.now() });
    try {
      this.decoder.end();
    } catch (e) {
      this.fail(GrpcError.from(e, Code.INTERNAL));
      return;
    }
    if (this.queue !== undefined) {
      this.queue.end();
      return;
    }
    if (this.unaryRequest === undefined) {
      this.fail(new GrpcError(Code.UNIMPLEMENTED, `received no request message for ${this.registered.kind} method ${this.path}`));
      return;
    }
    this.runHandler(this.unaryRequest);
  }

  onDrain(): void {
    const w = this.drainWaiters;
    if (w === undefined) return;
    this.drainWaiters = undefined;
    for (const f of w) f();
  }

  onClose(rstCode: number | undefined, error?: Error): void {
    if (this.closed) return;
    const reason =
      error !== undefined
        ? new GrpcError(Code.CANCELLED, `connection lost: ${error.message}`)
        : new GrpcError(Code.CANCELLED, "call cancelled by the client");
    this.terminate(reason);
  }

  private onDeadline(): void {
    this.timer = undefined;
    if (this.closed) return;
    const err = new GrpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded");
    this.sendStatus(err);
    this.stream.reset(Http2ErrorCode.CANCEL);
    this.abort(err);
  }

  /** Ends the call from the server side with an error status (bad input, limits). */
  fail(error: GrpcError): void {
    if (this.closed) return;
    this.sendStatus(error);
    this.abort(error);
  }

  /** Cancels from outside (forced shutdown): abort the handler and reset the stream. */
  cancel(error: GrpcError): void {
    if (this.closed) return;
    this.stream.reset(Http2ErrorCode.CANCEL);
    this.terminate(error);
  }

  private terminate(reason: GrpcError): void {
    this.closed = true;
    this.cleanup();
    if (this.host.channelz !== undefined) this.recordEnd(false, false);
    if (this.stats !== undefined) this.statsEnd(reason, false);
    this.abort(reason);
  }

  private abort(reason: GrpcError): void {
    this.abortReason ??= reason;
    this.queue?.end(reason);
    this.onDrain();
    if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(reason);
  }

  private cleanup(): void {
    this.timer?.clear();
    this.timer = undefined;
    this.host.callEnded(this);
  }

  private runHandler(request: unknown): void {
    const reg = this.registered;
    if (this.host.intercept === undefined && (reg.kind === "unary" || reg.kind === "client_streaming")) {
      // The direct path for one response: no async frames beyond what the handler makes.
      let out: unknown;
      try {
        out = reg.handler(request, this);
      } catch (e) {
        this.handlerFailed(e);
        return;
      }
      if (out instanceof Promise) {
        out.then(
          (res) => this.respondOnce(res),
          (e) => this.handlerFailed(e),
        );
      } else {
        this.respondOnce(out);
      }
      return;
    }
    void this.runHandlerGeneric(request);
  }

  /** Sends the one response of a unary or client-streaming call, then OK. */
  private respondOnce(res: unknown): void {
    let sent: Promise<void> | undefined;
    try {
      sent = this.sendMessage(res);
    } catch (e) {
      this.handlerFailed(e);
      return;
    }
    if (sent === undefined) this.sendStatus(undefined);
    else
      sent.then(
        () => this.sendStatus(undefined),
        (e) => this.handlerFailed(e),
      );
  }

  private handlerFailed(e: unknown): void {
    if (this.closed) return;
    this.sendStatus(e instanceof GrpcError ? e : handlerError(e));
  }

  private async runHandlerGeneric(request: unknown): Promise<void> {
    try {
      const reg = this.registered;
      if (this.host.intercept === undefined) {
        switch (reg.kind) {
          case "unary":
          case "client_streaming": {
            const res = await reg.handler(request, this);
            await this.sendMessage(res);
            break;
          }
          default:
            await this.sendAll(reg.handler(request, this));
        }
      } else {
        const final: ServerHandlerFn = async (req) => {
          const out = reg.handler(req.message, req.context);
          if (reg.kind === "unary" || reg.kind === "client_streaming") {
            return { stream: false, message: await out };
          }
          return { stream: true, message: out };
        };
        const req: ServerUnaryRequest | ServerStreamRequest =
          reg.kind === "unary" || reg.kind === "server_streaming"
            ? { stream: false, method: reg.method, context: this, message: request }
            : { stream: true, method: reg.method, context: this, message: request as AsyncIterable<unknown> };
        const res = await this.host.intercept(final)(req);
        if (res.stream) await this.sendAll(res.message);
        else await this.sendMessage(res.message);
      }
      this.sendStatus(undefined);
    } catch (e) {
      this.handlerFailed(e);
    }
  }

  private async sendAll(messages: AsyncIterable<unknown>): Promise<void> {
    for await (const m of messages) {
      if (this.closed) break;
      // Waits only for backpressure: a message the transport took costs no extra turn.
      const sent = this.sendMessage(m);
      if (sent !== undefined) await sent;
    }
  }

  /** Frames and writes one response; resolves when the transport can take more. */
  private sendMessage(init: unknown): Promise<void> | undefined {
    if (this.closed) return undefined;
    const schema = this.registered.method.output;
    const msg = create(schema, init as never);
    const c = this.sendCompressor;
    let data: Uint8Array | MessagePieces;
    let frame: Buffer | undefined;
    try {
      // The common case, a small uncompressed message: written straight into its frame.
      if (c === undefined && this.codec === protoCodec) frame = encodeSmallProtoFrame(schema, msg);
      data = frame ?? serializeMessage(this.codec, schema, msg);
    } catch (e) {
      throw new GrpcError(Code.INTERNAL, `failed to serialize response: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (frame !== undefined) return this.writeSmallFrame(frame, msg);
    if (c !== undefined && !isMarkedUncompressed(init as object) && !isMarkedUncompressed(msg)) {
      return c.compress(contiguous(data)).then((z) => this.writeFrame(z, true, data, msg));
    }
    return this.writeFrame(data, false, data, msg);
  }

  /** Frames `data` (`plain` compressed, or `plain` itself) and writes it. */
  private writeFrame(data: Uint8Array | MessagePieces, compressed: boolean, plain: Uint8Array | MessagePieces, message: unknown): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (data.byteLength > this.host.maxSendMessageBytes) {
      throw new GrpcError(
        Code.RESOURCE_EXHAUSTED,
        `response message larger than the send limit (${data.byteLength} vs. ${this.host.maxSendMessageBytes} bytes)`,
      );
    }
    this.writeHeaders();
    this.czSocket?.messageSent();
    // A large message goes out as it is, after its header: no copy of it.
    const written = writeMessageFrame(this.stream, data, compressed);
    this.stats?.emit({
      type: "outPayload",
      attempt: 0,
      message,
      length: plain.byteLength,
      compressedLength: data.byteLength,
      data: () => contiguous(plain),
      time: Date.now(),
    });
    if (written) return undefined;
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /** Writes the frame of a small uncompressed message (see encodeSmallProtoFrame), as writeFrame does. */
  private writeSmallFrame(frame: Buffer, message: unknown): Promise<void> | undefined {
    const length = frame.byteLength - envelopeHeaderBytes;
    if (length > this.host.maxSendMessageBytes) {
      throw new GrpcError(Code.RESOURCE_EXHAUSTED, `response message larger than the send limit (${length} vs. ${this.host.maxSendMessageBytes} bytes)`);
    }
    this.writeHeaders();
    this.czSocket?.messageSent();
    const written = this.stream.write(frame);
    this.stats?.emit({
      type: "outPayload",
      attempt: 0,
      message,
      length,
      compressedLength: length,
      data: () => frame.subarray(envelopeHeaderBytes),
      time: Date.now(),
    });
    if (written) return undefined;
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /** Sends the final status: trailers, or trailers-only when no headers went out. */
  private sendStatus(error: GrpcError | undefined): void {
    if (this.closed) return;
    // Header metadata the handler set must arrive as headers, so a trailers-only
    // response is only for calls that set none.
    if (!this.headersSent && this._responseHeader !== undefined && this._responseHeader.size > 0) this.writeHeaders();
    this.closed = true;
    this.cleanup();
    if (this.host.channelz !== undefined) this.recordEnd(error === undefined, true);
    if (error !== undefined && error.metadata.size > 0) this.responseTrailer.merge(error.metadata);
    const trailer = this._responseTrailer;
    if (this.stats !== undefined) {
      this.stats.emit({
        type: "outTrailer",
        attempt: 0,
        code: error?.code ?? Code.OK,
        error,
        metadata: trailer ?? emptyMetadata,
        statusDetails: error !== undefined && error.details.length > 0 ? encodeStatusDetails(error.code, error.rawMessage, error.details) : undefined,
        time: Date.now(),
      });
      this.statsEnd(error, true);
    }
    if (!this.headersSent) {
      this.headersSent = true;
      const h: Http2Headers = { [H.status]: 200, [H.contentType]: this.contentType };
      writeStatus(h, error, trailer);
      this.stream.sendHeaders(h, true);
    } else if (error === undefined && (trailer === undefined || trailer.size === 0)) {
      // OK with no trailer metadata: the same trailers for every call, encoded once by a transport that can.
      this.stream.sendTrailers(sharedOkTrailers);
    } else {
      const t: Http2Headers = {};
      writeStatus(t, error, trailer);
      this.stream.sendTrailers(t);
    }
    // Input the handler did not read is no longer wanted.
    this.queue?.end(error ?? new GrpcError(Code.CANCELLED, "call already ended"));
    this.onDrain();
    if (error !== undefined) {
      this.abortReason ??= error;
      if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(error);
    }
  }
}

/** A thrown value that is not a GrpcError: UNKNOWN with its message, never its stack. */
function handlerError(e: unknown): GrpcError {
  const message = e instanceof Error ? e.message : typeof e === "string" ? e : "handler failed";
  return new GrpcError(Code.UNKNOWN, message);
}
