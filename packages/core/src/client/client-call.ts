/**
 * One client call on the wire: request headers, framed messages out, and response
 * headers, messages and trailers in, ending in exactly one status. Unary and streaming
 * calls in client.ts are thin shapes over this.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { protoCodec, serializeMessage, type Codec } from "../wire/codec.js";
import type { Compressor } from "../wire/compression.js";
import type { EventLoopHold } from "../timers/event-loop-hold.js";
import { clientInflateBudgets, inflateWithin } from "../call/inflate-budget.js";
import { EnvelopeDecoder, contiguous, encodeSmallProtoFrame, frameChunks, writeMessageFrame } from "../wire/envelope.js";
import type { MessagePieces } from "../wire/proto-encoder.js";
import { GrpcError, codeName } from "../status/grpc-error.js";
import { encodeTimeout } from "../wire/grpc-timeout.js";
import { markReceivedCompressed, isMarkedUncompressed } from "../call/message-marks.js";
import { Metadata } from "../metadata/metadata.js";
import { headersToMetadata, metadataToHeaders } from "../wire/metadata-headers.js";
import { StepChain } from "../call/step-chain.js";
import { decodeGrpcMessage } from "../wire/percent-encoding.js";
import { H, codeForHttpStatus, contentTypeFor, firstHeader, readTrailers, statusForReset, userAgent } from "../wire/protocol.js";
import type { ClientStreamListener, ClientTransport, ClientTransportStream, Http2Headers } from "../transport/transport.js";
import { Http2ErrorCode } from "../transport/transport.js";
import type { Registry } from "../registry/registry.js";
import type { PickDoneInfo } from "../balancer/balancer.js";
import { pickDoneInfo } from "../balancer/load-report.js";
import type { ReadonlyMetadata } from "../metadata/metadata.js";
import { callCredentialsError, type CallCredentials, type CallCredentialsContext } from "../credentials/call-credentials.js";
import type { Interceptor } from "./interceptor.js";
import type { MethodConfig } from "../config/method-config.js";
import type { ChannelRetryState } from "../config/retry-state.js";
import type { CallStats, StatsHandler } from "../observability/stats.js";
import { encodeStatusDetails } from "../status/status-details.js";
import { channelzRegistry, type ChannelzChannel, type ChannelzSocket } from "../channelz/channelz.js";
import { isTracerEnabled, trace } from "../observability/logging.js";
import { LongTimer } from "../timers/long-timer.js";

/** What a call needs of its channel. */
export interface CallHost {
  readonly authority: string;
  readonly scheme: "http" | "https";
  readonly codec: Codec;
  readonly compressors: Registry<Compressor>;
  /** The grpc-accept-encoding value: every registered compressor. */
  readonly acceptEncoding: string;
  /** Whether call credentials that require transport security may go out on any connection. */
  readonly allowInsecureCallCredentials: boolean;
  /** The channel's channelz record, when channelz is enabled: calls are counted on it. */
  readonly channelz?: ChannelzChannel | undefined;
  /** Held by each call from its start to its end, so a pending call keeps the process running. */
  readonly pendingCalls?: EventLoopHold | undefined;
  /** A ready transport, or a promise of one; rejects with a GrpcError when none can be had. */
  getTransport(
    waitForReady: boolean,
    deadline: number | undefined,
    path: string,
    owner: PickOwner,
    /** The call's request metadata, call credentials' included, for the picker. */
    metadata: ReadonlyMetadata,
  ): ClientTransport | Promise<ClientTransport>;
}

/**
 * What a typed client calls through: a channel, or one connection of it (client-side
 * health checking calls over the very connection it checks). Channel implements it.
 */
export interface ClientConnection extends CallHost {
  readonly interceptors: readonly Interceptor[];
  readonly compression: string | undefined;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly callCredentials: CallCredentials | undefined;
  /** The service config's settings for a method ("/pkg.Service/Method"), when it has any. */
  methodConfig?(path: string): MethodConfig | undefined;
  /** Retry throttling and the retry buffer shared by the calls of a channel. */
  readonly retryState?: ChannelRetryState | undefined;
  /** Stats handlers told about every call; undefined or empty when there are none. */
  readonly statsHandlers?: readonly StatsHandler[] | undefined;
  /** The target reported to stats handlers. */
  readonly statsTarget?: string | undefined;
}

/** The call a pick is for: the channel drops picks of ended calls and hands over the picker's onDone. */
export interface PickOwner {
  readonly isClosed: boolean;
  /**
   * The call's stream goes over this pick now; the picker's `onDone` hears how that
   * attempt ends. A call picked again (its stream was refused, or its connection closed
   * before the stream opened) settles the earlier pick's `onDone` first.
   */
  usePick(onDone: ((info: PickDoneInfo) => void) | undefined): void;
  /** Why the last pick failed while the call waited for ready (the last connection error). */
  lastPickError?: GrpcError | undefined;
}

/** Receives what a call produces. `onClose` is called exactly once, last. */
export interface CallListener<O> {
  /** Response headers' metadata; when absent, the headers are not decoded into Metadata. */
  onHeader?(metadata: Metadata): void;
  onMessage(message: O): void;
  onClose(error: GrpcError | undefined, trailer: Metadata): void;
}

export interface ClientCallOptions {
  deadline: number | undefined;
  waitForReady: boolean;
  compression: string | undefined;
  maxReceiveMessageBytes: number;
  maxSendMessageBytes: number;
  signal: AbortSignal | undefined;
  /** Per-call credentials (the call's, else the channel's). */
  callCredentials: CallCredentials | undefined;
  /** The service config's settings for the method, when it has any. */
  methodConfig: MethodConfig | undefined;
  /** Attempts of this call made before this one (a retry or hedge), sent as grpc-previous-rpc-attempts. */
  previousAttempts?: number;
  /** The call's stats handlers: they hear this attempt's events (and the call's end, unless `statsEndedByOwner`). */
  stats?: CallStats;
  /** A retrying call reports the end of the whole call itself. */
  statsEndedByOwner?: boolean;
  /** This attempt is a hedge, started beside the call's first (told to stats handlers). */
  hedge?: boolean;
}

/** A request message as stats handlers hear of it once its frame goes out. */
interface SentPayload {
  readonly message: unknown;
  readonly plain: Uint8Array | MessagePieces;
  readonly compressedLength: number;
}

/** One client call as the typed client drives it: a single attempt, or a retried one. */
export interface Call<I extends DescMessage, O extends DescMessage> {
  start(metadata: Metadata | undefined, listener: CallListener<MessageShape<O>>): void;
  /** Sends one message: undefined when the transport took it at once, else a promise of room for the next. */
  send(message: MessageShape<I>): Promise<void> | undefined;
  sendLast(message: MessageShape<I>): void;
  halfClose(): void;
  cancel(error?: GrpcError): void;
  readonly isClosed: boolean;
  pause(): void;
  resume(): void;
}

const emptyMetadata = new Metadata();

/** The 5-byte prefix (compressed flag and length) before each message on the wire. */
const envelopeBytes = 5;

/** Bytes a call holds for a transparent retry; a call that wrote more before any response is not retried. */
const transparentRetryBufferBytes = 64 * 1024;

export class ClientCall<I extends DescMessage, O extends DescMessage> implements ClientStreamListener, PickOwner, Call<I, O> {
  /** The current pick's onDone, when its picker wants to know how the attempt ended. */
  private pickDone: ((info: PickDoneInfo) => void) | undefined;
  /** Message bytes, as framed, written to and received from the current pick's stream. */
  private attemptBytesSent = 0;
  private attemptBytesReceived = 0;
  /** Set by the channel when a pick failed and the call, waiting for ready, went on waiting. */
  lastPickError: GrpcError | undefined;
  /** A transport was asked for and no stream is open yet. */
  private picking = false;
  private stream: ClientTransportStream | undefined;
  private listener!: CallListener<MessageShape<O>>;
  private closed = false;
  private headersSeen = false;
  private trailer: Metadata = emptyMetadata;
  /** Frames sent before the stream exists, each as the chunks that carry it. */
  private pending: Uint8Array[][] | undefined;
  private halfClosePending = false;
  /**
   * The frames written before response headers, so a stream the server refused
   * (REFUSED_STREAM: it never reached the application) can be sent again once on a
   * new pick; "overflow" once too much was written to hold.
   */
  private unanswered: Uint8Array[][] | "overflow" | undefined;
  private unansweredBytes = 0;
  private endWritten = false;
  private transparentRetryDone = false;
  private pickedMetadata: Metadata | undefined;
  private drainWaiters: (() => void)[] | undefined;
  private timer: LongTimer | undefined;
  private decoder: EnvelopeDecoder;
  private decompressor: Compressor | undefined;
  /** Keeps messages and the status in order around async decompression. */
  private steps: StepChain | undefined;
  private sendCompressor: Compressor | undefined;
  /** The last send still compressing, when there is one. */
  private sendTail: Promise<void> | undefined;
  private abortListener: (() => void) | undefined;
  /** Channelz records the call counts on, when channelz is enabled. */
  private czChannel: ChannelzChannel | undefined;
  private czSocket: ChannelzSocket | undefined;
  /** The server's status arrived (the stream ended with END_STREAM, not a reset). */
  private statusReceived = false;
  /** This attempt's number for stats handlers, when they listen. */
  private statsAttempt = 0;
  /** The messages of frames not yet written (or held for a transparent retry), for stats handlers. */
  private framePayloads: WeakMap<Uint8Array[], SentPayload> | undefined;
  /** The stream's peer and our end's address, for stats handlers. */
  private peerAddress = "";
  private localAddress: string | undefined;

  constructor(
    private readonly host: CallHost,
    private readonly path: string,
    private readonly input: I,
    private readonly output: O,
    private readonly opts: ClientCallOptions,
  ) {
    this.decoder = new EnvelopeDecoder(opts.maxReceiveMessageBytes, this.onFrame);
  }

  start(metadata: Metadata | undefined, listener: CallListener<MessageShape<O>>): void {
    this.listener = listener;
    if (this.opts.stats !== undefined) this.beginAttempt(this.opts.stats, false);
    this.host.pendingCalls?.acquire();
    const cz = this.host.channelz;
    if (cz !== undefined) {
      this.czChannel = cz;
      cz.calls.callStarted();
    }
    const { deadline, signal, compression } = this.opts;
    if (compression !== undefined && compression !== "identity") {
      const c = this.host.compressors.get(compression);
      if (c === undefined) {
        this.finish(new GrpcError(Code.INTERNAL, `compression "${compression}" is not registered on this channel`));
        return;
      }
      this.sendCompressor = c;
    }
    if (signal !== undefined) {
      if (signal.aborted) {
        this.finish(GrpcError.from(signal.reason, Code.CANCELLED));
        return;
      }
      this.abortListener = () => this.cancel(GrpcError.from(signal.reason, Code.CANCELLED));
      signal.addEventListener("abort", this.abortListener, { once: true });
    }
    if (deadline !== undefined) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.finish(new GrpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded before the call started"));
        return;
      }
      this.timer = new LongTimer(() => this.onDeadline(), remaining);
    }
    this.pick(metadata);
  }

  /** Picks a transport and opens the stream on it. */
  private pick(metadata: Metadata | undefined): void {
    this.pickedMetadata = metadata;
    this.picking = true;
    const deadline = this.opts.deadline;
    let transport: ClientTransport | Promise<ClientTransport>;
    try {
      transport = this.host.getTransport(this.opts.waitForReady, deadline, this.path, this, metadata ?? emptyMetadata);
    } catch (e) {
      this.finish(GrpcError.from(e, Code.UNAVAILABLE));
      return;
    }
    if (transport instanceof Promise) {
      transport.then(
        (t) => this.open(t, metadata, true),
        (e) => this.finish(GrpcError.from(e, Code.UNAVAILABLE)),
      );
    } else {
      this.open(transport, metadata, true);
    }
  }

  /**
   * Runs the call credentials for the picked connection, as grpc-go does when it opens
   * a stream: each sees that connection's security level, and one that requires
   * transport security is refused below "privacy". Then opens the stream.
   */
  private open(transport: ClientTransport, metadata: Metadata | undefined, mayRetry: boolean): void {
    if (this.closed) return;
    const creds = this.opts.callCredentials;
    if (creds === undefined) {
      this.openStream(transport, metadata, mayRetry);
      return;
    }
    const authInfo = transport.peer.authInfo;
    const securityLevel = authInfo?.securityLevel ?? (this.host.scheme === "https" ? "privacy" : "none");
    if (creds.requiresTransportSecurity !== false && securityLevel !== "privacy" && !this.host.allowInsecureCallCredentials) {
      this.finish(
        new GrpcError(
          Code.UNAUTHENTICATED,
          `call credentials that require transport security are not sent on a connection whose security level is "${securityLevel}": use TLS (or local credentials on a unix socket), or set allowInsecureCallCredentials on the channel`,
        ),
      );
      return;
    }
    const service = this.path.slice(1, this.path.lastIndexOf("/"));
    const context: CallCredentialsContext = {
      serviceUrl: `${this.host.scheme}://${this.host.authority}/${service}`,
      methodName: this.path.slice(this.path.lastIndexOf("/") + 1),
      authority: this.host.authority,
      securityLevel,
      ...(authInfo !== undefined && { authInfo }),
    };
    Promise.resolve()
      .then(() => creds.getMetadata(context))
      .then(
        (added) => {
          if (this.closed) return;
          this.openStream(transport, metadata === undefined ? added : metadata.clone().merge(added), mayRetry);
        },
        (e) => this.finish(callCredentialsError(e)),
      );
  }

  /** Opens the stream with the call's metadata (credentials' added) on the picked transport. */
  private openStream(transport: ClientTransport, metadata: Metadata | undefined, mayRetry: boolean): void {
    if (this.closed) return;
    const headers: Http2Headers = {
      [H.method]: "POST",
      [H.scheme]: this.host.scheme,
      [H.path]: this.path,
      [H.authority]: this.host.authority,
      [H.contentType]: contentTypeFor(this.host.codec.name),
      [H.te]: "trailers",
      [H.userAgent]: userAgent,
      [H.acceptEncoding]: this.host.acceptEncoding,
    };
    if (this.sendCompressor !== undefined) headers[H.encoding] = this.sendCompressor.name;
    if (this.opts.previousAttempts !== undefined) headers["grpc-previous-rpc-attempts"] = String(this.opts.previousAttempts);
    if (this.opts.deadline !== undefined) {
      headers[H.timeout] = encodeTimeout(Math.max(1, this.opts.deadline - Date.now()));
    }
    if (metadata !== undefined && metadata.size > 0) {
      metadataToHeaders(metadata, headers);
      const ua = metadata.get("user-agent");
      if (typeof ua === "string") headers[H.userAgent] = `${ua} ${userAgent}`;
    }
    try {
      this.stream = transport.openStream(headers, this);
    } catch (e) {
      // The connection closed between the pick and the stream: the request never left,
      // so one transparent retry on a fresh pick is safe.
      if (mayRetry) {
        const picked = this.pickedMetadata;
        Promise.resolve(this.host.getTransport(this.opts.waitForReady, this.opts.deadline, this.path, this, picked ?? emptyMetadata)).then(
          (t) => this.open(t, picked, false),
          (err) => this.finish(GrpcError.from(err, Code.UNAVAILABLE)),
        );
        return;
      }
      this.finish(GrpcError.from(e, Code.UNAVAILABLE));
      return;
    }
    this.picking = false;
    if (this.czChannel !== undefined) this.recordStream(transport);
    const stats = this.opts.stats;
    if (stats !== undefined) this.statsRequestHeaders(stats, transport, metadata);
    const pending = this.pending;
    this.pending = undefined;
    let writable = true;
    if (pending !== undefined) {
      for (const frame of pending) {
        for (const chunk of frame) {
          writable = this.stream.write(chunk);
          this.attemptBytesSent += chunk.byteLength;
        }
        this.holdUnanswered(frame);
        this.czSocket?.messageSent();
        const sent = this.framePayloads?.get(frame);
        if (sent !== undefined) this.statsSent(sent);
      }
    }
    if (this.halfClosePending) this.endStream();
    // Senders held while the stream was opened go on now, or at the next drain.
    if (writable) this.onDrain();
  }

  private beginAttempt(stats: CallStats, transparentRetry: boolean): void {
    this.statsAttempt = stats.nextAttempt();
    stats.emit({ type: "begin", attempt: this.statsAttempt, transparentRetry, hedge: this.opts.hedge === true, time: Date.now() });
  }

  private statsRequestHeaders(stats: CallStats, transport: ClientTransport, metadata: Metadata | undefined): void {
    this.peerAddress = transport.peer.address;
    this.localAddress = transport.localAddress;
    const deadline = this.opts.deadline;
    stats.emit({
      type: "outHeader",
      attempt: this.statsAttempt,
      metadata: metadata ?? emptyMetadata,
      compression: this.sendCompressor?.name,
      method: this.path,
      authority: this.host.authority,
      timeoutMs: deadline === undefined ? undefined : Math.max(1, deadline - Date.now()),
      peer: this.peerAddress,
      localAddress: this.localAddress,
      time: Date.now(),
    });
  }

  /** Tells stats handlers a request message went out on this attempt's stream. */
  private statsSent(sent: SentPayload): void {
    const plain = sent.plain;
    this.opts.stats?.emit({
      type: "outPayload",
      attempt: this.statsAttempt,
      message: sent.message,
      length: plain.byteLength,
      compressedLength: sent.compressedLength,
      data: () => contiguous(plain),
      time: Date.now(),
    });
  }

  private recordStream(transport: ClientTransport): void {
    const socket = channelzRegistry()?.socketOf.get(transport);
    if (socket === undefined) return;
    this.czSocket = socket;
    socket.streamStarted();
    socket.owner.calls.callStarted();
  }

  /**
   * Sends one message. Resolves when the transport can take more (backpressure); after
   * the call has ended it resolves at once and the message is dropped.
   */
  send(message: MessageShape<I>): Promise<void> | undefined {
    if (this.closed) return undefined;
    const compressor = this.sendCompressor;
    // The common case, a small uncompressed message on an answered stream with nothing
    // queued before it: written straight into its frame.
    const direct = compressor === undefined && this.sendTail === undefined && this.stream !== undefined && this.headersSeen && this.host.codec === protoCodec;
    let data: Uint8Array | MessagePieces;
    let frame: Buffer | undefined;
    try {
      if (direct) frame = encodeSmallProtoFrame(this.input, message);
      data = frame ?? serializeMessage(this.host.codec, this.input, message);
    } catch (e) {
      this.cancel(new GrpcError(Code.INTERNAL, `failed to serialize request: ${errorMessage(e)}`));
      return Promise.resolve();
    }
    if (frame !== undefined) return this.sendSmallFrame(frame, message);
    if (compressor !== undefined && !isMarkedUncompressed(message)) {
      // Compression is async; later frames and the half-close wait their turn.
      const p = (this.sendTail ?? Promise.resolve())
        .then(() => compressor.compress(contiguous(data)))
        .then(
          (c) => this.sendFrame(c, true, data, message),
          (e) => this.cancel(new GrpcError(Code.INTERNAL, `failed to compress request: ${errorMessage(e)}`)),
        );
      this.trackSend(p);
      return p;
    }
    if (this.sendTail !== undefined) {
      const p = this.sendTail.then(() => this.sendFrame(data, false, data, message));
      this.trackSend(p);
      return p;
    }
    return this.sendFrame(data, false, data, message);
  }

  /** Ends the call with RESOURCE_EXHAUSTED when `data` is above the send limit. */
  private overSendLimit(data: { readonly byteLength: number }): boolean {
    if (data.byteLength <= this.opts.maxSendMessageBytes) return false;
    this.cancel(
      new GrpcError(
        Code.RESOURCE_EXHAUSTED,
        `request message larger than the send limit (${data.byteLength} vs. ${this.opts.maxSendMessageBytes} bytes)`,
      ),
    );
    return true;
  }

  private trackSend(p: Promise<void>): void {
    this.sendTail = p;
    void p.then(() => {
      if (this.sendTail === p) this.sendTail = undefined;
    });
  }

  /** Frames `data` (`plain` compressed, or `plain` itself) and writes it, or holds it until the stream opens. */
  private sendFrame(data: Uint8Array | MessagePieces, compressed: boolean, plain: Uint8Array | MessagePieces, message: unknown): Promise<void> {
    if (this.closed || this.overSendLimit(data)) return Promise.resolve();
    const sent: SentPayload | undefined = this.opts.stats === undefined ? undefined : { message, plain, compressedLength: data.byteLength };
    const stream = this.stream;
    let written: boolean;
    if (stream !== undefined && this.headersSeen) {
      // The common case, an answered stream: nothing to hold for a transparent retry.
      this.czSocket?.messageSent();
      this.attemptBytesSent += envelopeBytes + data.byteLength;
      written = writeMessageFrame(stream, data, compressed);
      if (sent !== undefined) this.statsSent(sent);
    } else {
      // A large message goes out as it is, after its header: no copy of it.
      const frame = frameChunks(data, compressed);
      // Kept with the frame: it is told when the frame is written, again if a transparent retry rewrites it.
      if (sent !== undefined) (this.framePayloads ??= new WeakMap()).set(frame, sent);
      if (stream === undefined) {
        // Hold the sender until the stream exists, so at most one message waits here.
        (this.pending ??= []).push(frame);
        return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
      }
      this.czSocket?.messageSent();
      this.holdUnanswered(frame);
      written = true;
      for (const chunk of frame) {
        written = stream.write(chunk);
        this.attemptBytesSent += chunk.byteLength;
      }
      if (sent !== undefined) this.statsSent(sent);
    }
    if (written) return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /** Writes the frame of a small uncompressed message (see encodeSmallProtoFrame) on the answered stream, as sendFrame does. */
  private sendSmallFrame(frame: Buffer, message: unknown): Promise<void> | undefined {
    const length = frame.byteLength - envelopeBytes;
    if (this.overSendLimit({ byteLength: length })) return undefined;
    this.czSocket?.messageSent();
    this.attemptBytesSent += frame.byteLength;
    const written = this.stream!.write(frame);
    if (this.opts.stats !== undefined) this.statsSent({ message, plain: frame.subarray(envelopeBytes), compressedLength: length });
    if (written) return undefined;
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /**
   * Sends the last message and half-closes. On an open stream with nothing queued and
   * no compression, the frame and END_STREAM go to the transport in one step.
   */
  sendLast(message: MessageShape<I>): void {
    const stream = this.stream;
    if (stream === undefined || this.sendCompressor !== undefined || this.sendTail !== undefined || this.closed) {
      void this.send(message);
      this.halfClose();
      return;
    }
    let data: Uint8Array | MessagePieces;
    try {
      data = serializeMessage(this.host.codec, this.input, message);
    } catch (e) {
      this.cancel(new GrpcError(Code.INTERNAL, `failed to serialize request: ${errorMessage(e)}`));
      return;
    }
    if (this.overSendLimit(data)) return;
    this.czSocket?.messageSent();
    this.endWritten = true;
    const frame = frameChunks(data, false);
    this.attemptBytesSent += envelopeBytes + data.byteLength;
    this.holdUnanswered(frame);
    const last = frame.length - 1;
    for (let i = 0; i < last; i++) stream.write(frame[i]);
    stream.end(frame[last]);
    if (this.opts.stats !== undefined) {
      const sent = { message, plain: data, compressedLength: data.byteLength };
      (this.framePayloads ??= new WeakMap()).set(frame, sent);
      this.statsSent(sent);
      this.statsHalfClose();
    }
  }

  private endStream(): void {
    this.endWritten = true;
    this.stream!.end();
    if (this.opts.stats !== undefined) this.statsHalfClose();
  }

  private statsHalfClose(): void {
    this.opts.stats?.emit({ type: "halfClose", attempt: this.statsAttempt, time: Date.now() });
  }

  /** Holds a frame written before response headers, up to a limit, for a transparent retry. */
  private holdUnanswered(frame: Uint8Array[]): void {
    const held = this.unanswered;
    if (this.headersSeen || this.transparentRetryDone || held === "overflow") return;
    for (const chunk of frame) this.unansweredBytes += chunk.byteLength;
    if (this.unansweredBytes > transparentRetryBufferBytes) this.unanswered = "overflow";
    else if (held === undefined) this.unanswered = [frame];
    else held.push(frame);
  }

  /** Half-closes: no more messages will be sent. */
  halfClose(): void {
    if (this.closed) return;
    if (this.sendTail !== undefined) {
      void this.sendTail.then(() => this.halfClose());
      return;
    }
    if (this.stream === undefined) this.halfClosePending = true;
    else this.endStream();
  }

  /** Ends the call from this side with `error` (CANCELLED by default) and resets the stream. */
  cancel(error: GrpcError = new GrpcError(Code.CANCELLED, "call cancelled by the client")): void {
    if (this.closed) return;
    this.stream?.reset(Http2ErrorCode.CANCEL);
    this.finish(error);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onDeadline(): void {
    this.timer = undefined;
    if (this.picking) {
      // As grpc-go does, say why no connection could be had, not only that time ran out.
      const last = this.lastPickError;
      this.cancel(
        new GrpcError(
          Code.DEADLINE_EXCEEDED,
          `deadline exceeded while waiting for a connection${last !== undefined ? `; last connection error: ${last.rawMessage}` : ""}`,
        ),
      );
      return;
    }
    this.cancel(new GrpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded while waiting for the server"));
  }

  // ClientStreamListener

  onHeaders(headers: Http2Headers, endStream: boolean): void {
    if (this.closed) return;
    const status = Number(firstHeader(headers, H.status));
    if (status !== 200) {
      const rawMsg = firstHeader(headers, H.grpcMessage);
      const msg = rawMsg === undefined ? undefined : decodeGrpcMessage(rawMsg);
      this.cancel(
        new GrpcError(
          codeForHttpStatus(status),
          `server answered with HTTP status ${status}${msg !== undefined ? ` (${msg})` : ""}`,
          { metadata: headersToMetadataSafe(headers) },
        ),
      );
      return;
    }
    if (endStream) {
      // Trailers-only: the headers carry the status.
      this.onTrailers(headers);
      return;
    }
    const ct = firstHeader(headers, H.contentType);
    if (ct === undefined || !ct.startsWith("application/grpc")) {
      this.cancel(new GrpcError(Code.UNKNOWN, `server answered with content-type "${ct ?? ""}", not application/grpc`));
      return;
    }
    const enc = firstHeader(headers, H.encoding);
    if (enc !== undefined && enc !== "identity") {
      const c = this.host.compressors.get(enc);
      if (c === undefined) {
        this.cancel(new GrpcError(Code.INTERNAL, `server compressed the response with "${enc}", which this channel has not registered`));
        return;
      }
      this.decompressor = c;
    }
    this.headersSeen = true;
    this.unanswered = undefined;
    const stats = this.opts.stats;
    if (this.listener.onHeader === undefined && stats === undefined) return;
    let md: Metadata;
    try {
      md = headersToMetadata(headers);
    } catch (e) {
      this.cancel(GrpcError.from(e, Code.INTERNAL));
      return;
    }
    stats?.emit({
      type: "inHeader",
      attempt: this.statsAttempt,
      metadata: md,
      compression: this.decompressor?.name,
      peer: this.peerAddress,
      localAddress: this.localAddress,
      time: Date.now(),
    });
    this.listener.onHeader?.(md);
  }

  onData(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      this.decoder.push(chunk);
    } catch (e) {
      this.cancel(GrpcError.from(e, Code.INTERNAL));
    }
  }

  private readonly onFrame = (data: Uint8Array, compressed: boolean): void => {
    this.attemptBytesReceived += envelopeBytes + data.byteLength;
    if (compressed) {
      const d = this.decompressor;
      if (d === undefined) {
        throw new GrpcError(Code.INTERNAL, "server sent a compressed message without a grpc-encoding");
      }
      const max = this.opts.maxReceiveMessageBytes;
      (this.steps ??= new StepChain()).add(() =>
        inflateWithin(clientInflateBudgets(), d, data, max, () => this.closed).then(
          (plain) => {
            if (plain !== undefined) this.deliver(plain, true, data.byteLength);
          },
          (e) => this.cancel(GrpcError.from(e, Code.INTERNAL)),
        ),
      );
      return;
    }
    // Uncompressed and nothing inflating before it: delivered now, with no closure made.
    const steps = this.steps;
    if (steps === undefined || !steps.pending) this.deliver(data, false, data.byteLength);
    else steps.add(() => this.deliver(data, false, data.byteLength));
  };

  /** Runs `step` now, or after the messages still inflating when there are any. */
  private afterSteps(step: () => void): void {
    const steps = this.steps;
    if (steps === undefined || !steps.pending) step();
    else steps.add(step);
  }

  /** `wireLength`: the message's size as it came, compressed when it was. */
  private deliver(data: Uint8Array, compressed: boolean, wireLength: number): void {
    if (this.closed) return;
    const msg = this.decode(data);
    if (msg === undefined) return;
    if (compressed) markReceivedCompressed(msg);
    this.czSocket?.messageReceived();
    this.opts.stats?.emit({
      type: "inPayload",
      attempt: this.statsAttempt,
      message: msg,
      length: data.byteLength,
      compressedLength: wireLength,
      data: () => data,
      time: Date.now(),
    });
    this.listener.onMessage(msg);
  }

  private decode(data: Uint8Array): MessageShape<O> | undefined {
    try {
      return this.host.codec.decode(this.output, data);
    } catch (e) {
      this.cancel(new GrpcError(Code.INTERNAL, `failed to parse response message: ${errorMessage(e)}`));
      return undefined;
    }
  }

  onTrailers(trailers: Http2Headers): void {
    if (this.closed) return;
    let status: ReturnType<typeof readTrailers>;
    try {
      status = readTrailers(trailers);
    } catch (e) {
      this.cancel(GrpcError.from(e, Code.INTERNAL));
      return;
    }
    let error = status.error;
    if (error === undefined) {
      try {
        this.decoder.end();
      } catch (e) {
        error = GrpcError.from(e, Code.INTERNAL);
      }
    }
    this.trailer = status.trailer;
    this.statusReceived = true;
    const stats = this.opts.stats;
    if (stats !== undefined) {
      const e = status.error;
      stats.emit({
        type: "inTrailer",
        attempt: this.statsAttempt,
        code: e?.code ?? Code.OK,
        error: e,
        metadata: status.trailer,
        statusDetails: e !== undefined && e.details.length > 0 ? encodeStatusDetails(e.code, e.rawMessage, e.details) : undefined,
        peer: this.peerAddress,
        time: Date.now(),
      });
    }
    const settle = () => this.finish(error, status.trailer);
    this.afterSteps(settle);
  }

  onDrain(): void {
    const waiters = this.drainWaiters;
    if (waiters === undefined) return;
    this.drainWaiters = undefined;
    for (const w of waiters) w();
  }

  onClose(rstCode: number | undefined, error?: Error): void {
    if (this.closed) return;
    if (rstCode === Http2ErrorCode.REFUSED_STREAM && this.retryRefused()) {
      trace("call", `${this.path}: stream refused before the server saw it; sent again`);
      return;
    }
    // A stream closed without trailers: report why, never a bare code.
    const status = statusForReset(rstCode, error);
    const settle = () => this.finish(status);
    this.afterSteps(settle);
  }

  /**
   * The server refused the stream before its application saw it (a GOAWAY crossed it,
   * or too many streams): send it again once on a new pick, as gRFC A6's transparent
   * retry does. False when it cannot be: headers came, or too much was written to hold.
   */
  private retryRefused(): boolean {
    const held = this.unanswered;
    if (this.headersSeen || this.transparentRetryDone || held === "overflow") return false;
    this.transparentRetryDone = true;
    this.unanswered = undefined;
    this.stream = undefined;
    const stats = this.opts.stats;
    if (stats !== undefined) {
      const refused = new GrpcError(Code.UNAVAILABLE, "the server refused the stream before its application saw it; sent again");
      stats.emit({ type: "end", attempt: this.statsAttempt, code: refused.code, error: refused, statusExchanged: false, time: Date.now() });
      this.beginAttempt(stats, true);
    }
    this.pending = held;
    this.halfClosePending = this.endWritten;
    this.endWritten = false;
    this.pick(this.pickedMetadata);
    return true;
  }

  private finish(error: GrpcError | undefined, trailer: Metadata = this.trailer): void {
    if (this.closed) return;
    this.closed = true;
    if (isTracerEnabled("call")) trace("call", `${this.path}: ended ${error === undefined ? "OK" : `${codeName(error.code)}: ${error.rawMessage}`}`);
    this.timer?.clear();
    this.host.pendingCalls?.release();
    if (this.abortListener !== undefined) this.opts.signal?.removeEventListener("abort", this.abortListener);
    this.onDrain();
    this.endPick(error, trailer);
    const stats = this.opts.stats;
    if (stats !== undefined) {
      const code = error?.code ?? Code.OK;
      const time = Date.now();
      stats.emit({ type: "end", attempt: this.statsAttempt, code, error, statusExchanged: this.statusReceived, time });
      if (this.opts.statsEndedByOwner !== true) stats.emit({ type: "callEnd", code, error, attempts: stats.attemptCount, time });
    }
    if (this.czChannel !== undefined) {
      this.czChannel.calls.callEnded(error === undefined);
      this.czSocket?.owner.calls.callEnded(error === undefined);
      this.czSocket?.streamEnded(this.statusReceived);
    }
    if (error !== undefined && error.metadata.size === 0 && trailer.size > 0) {
      error = new GrpcError(error.code, error.rawMessage, { details: error.details, metadata: trailer, cause: error.cause });
    }
    this.listener.onClose(error, error !== undefined && error.metadata.size > 0 ? error.metadata : trailer);
  }

  usePick(onDone: ((info: PickDoneInfo) => void) | undefined): void {
    // An earlier pick of this call ends unused; the error (with its stack) is made only then, not for every call's first pick.
    if (this.pickDone !== undefined) {
      this.endPick(new GrpcError(Code.UNAVAILABLE, "the attempt's stream was refused or never opened; the call was sent on a new pick"), emptyMetadata);
    } else {
      this.attemptBytesSent = 0;
      this.attemptBytesReceived = 0;
    }
    this.pickDone = onDone;
  }

  /** Tells the current pick's onDone, once, how its attempt ended; the next attempt counts its bytes afresh. */
  private endPick(error: GrpcError | undefined, trailers: Metadata): void {
    const done = this.pickDone;
    const bytesSent = this.attemptBytesSent;
    const bytesReceived = this.attemptBytesReceived;
    this.attemptBytesSent = 0;
    this.attemptBytesReceived = 0;
    if (done === undefined) return;
    this.pickDone = undefined;
    done(pickDoneInfo(error, trailers, bytesSent, bytesReceived));
  }

  /** True once response headers arrived (a trailers-only response has none). */
  get receivedHeaders(): boolean {
    return this.headersSeen;
  }

  pause(): void {
    this.stream?.pause();
  }

  resume(): void {
    this.stream?.resume();
  }
}

function headersToMetadataSafe(headers: Http2Headers): Metadata {
  try {
    return headersToMetadata(headers);
  } catch {
    return new Metadata();
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
