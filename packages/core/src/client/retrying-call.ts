/**
 * A call whose method has a retry or hedging policy (gRFC A6). It runs attempts as
 * ClientCalls, holds the request messages sent so far so a new attempt can replay them,
 * and commits to one attempt once that attempt's response headers (or a message, or an
 * OK status) arrive: from then on it is that attempt, and the others are cancelled.
 *
 * Retry: after a retryable status, the next attempt starts after a random delay up to
 * the current backoff (or the server's grpc-retry-pushback-ms). Hedging: attempts start
 * every hedgingDelay until one commits; a fatal status ends the call at once.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { ClientCall, type Call, type CallListener, type ClientCallOptions, type ClientConnection } from "./client-call.js";
import { serializedSize } from "../wire/codec.js";
import { Code } from "../status/code.js";
import { GrpcError, codeName } from "../status/grpc-error.js";
import { isTracerEnabled, trace } from "../observability/logging.js";
import { LongTimer } from "../timers/long-timer.js";
import type { HedgingPolicy, RetryPolicy } from "../config/method-config.js";
import { Metadata } from "../metadata/metadata.js";
import type { ChannelRetryState } from "../config/retry-state.js";

const pushbackKey = "grpc-retry-pushback-ms";

/** The server's pushback: a delay in ms, "stop" for an invalid one (no retry), undefined when absent. */
function pushbackOf(trailer: Metadata): number | "stop" | undefined {
  const v = trailer.get(pushbackKey);
  if (v === undefined) return undefined;
  return typeof v === "string" && /^\d+$/.test(v) ? Number(v) : "stop";
}

export class RetryingCall<I extends DescMessage, O extends DescMessage> implements Call<I, O> {
  private listener!: CallListener<MessageShape<O>>;
  private metadata: Metadata | undefined;
  private readonly live = new Set<ClientCall<I, O>>();
  private committed: ClientCall<I, O> | undefined;
  /** What committed the call ("response headers", ...), for the trace of a failure not retried. */
  private commitReason: string | undefined;
  private closed = false;
  private attempts = 0;
  /** Messages sent before the commit, for replay; undefined once committed. */
  private buffer: MessageShape<I>[] | undefined = [];
  private bufferedBytes = 0;
  private halfClosed = false;
  private paused = false;
  private backoffMs: number;
  private retryTimer: LongTimer | undefined;
  private hedgeTimer: LongTimer | undefined;
  private abortListener: (() => void) | undefined;
  private readonly retry: RetryPolicy | undefined;
  private readonly hedging: HedgingPolicy | undefined;
  private readonly maxAttempts: number;
  private readonly state: ChannelRetryState | undefined;
  private readonly attemptOpts: ClientCallOptions;

  constructor(
    private readonly host: ClientConnection,
    private readonly path: string,
    private readonly input: I,
    private readonly output: O,
    private readonly opts: ClientCallOptions,
  ) {
    this.retry = opts.methodConfig?.retryPolicy;
    this.hedging = this.retry === undefined ? opts.methodConfig?.hedgingPolicy : undefined;
    this.maxAttempts = this.retry?.maxAttempts ?? this.hedging?.maxAttempts ?? 1;
    this.backoffMs = this.retry?.initialBackoffMs ?? 0;
    this.state = host.retryState;
    // Attempts share the call's deadline; cancellation reaches them through this call.
    this.attemptOpts = { ...opts, signal: undefined, methodConfig: undefined, statsEndedByOwner: true };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  start(metadata: Metadata | undefined, listener: CallListener<MessageShape<O>>): void {
    this.listener = listener;
    this.metadata = metadata;
    const signal = this.opts.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.finish(GrpcError.from(signal.reason, Code.CANCELLED), new Metadata());
        return;
      }
      this.abortListener = () => this.cancel(GrpcError.from(signal.reason, Code.CANCELLED));
      signal.addEventListener("abort", this.abortListener, { once: true });
    }
    this.startAttempt();
  }

  private startAttempt(): void {
    const n = this.attempts++;
    const opts = n === 0 ? this.attemptOpts : { ...this.attemptOpts, previousAttempts: n, hedge: this.hedging !== undefined };
    const call = new ClientCall(this.host, this.path, this.input, this.output, opts);
    this.live.add(call);
    call.start(this.metadata, {
      onHeader: (h) => {
        if (this.owns(call, "response headers")) this.listener.onHeader?.(h);
      },
      onMessage: (m) => {
        if (this.owns(call, "a response message")) this.listener.onMessage(m);
      },
      onClose: (error, trailer) => this.onAttemptClose(call, error, trailer),
    });
    if (this.paused) call.pause();
    for (const m of this.buffer ?? []) void call.send(m);
    if (this.halfClosed) call.halfClose();
    if (this.hedging !== undefined) this.scheduleHedge();
  }

  private scheduleHedge(): void {
    if (this.hedgeTimer !== undefined || this.attempts >= this.maxAttempts) return;
    this.hedgeTimer = new LongTimer(() => {
      this.hedgeTimer = undefined;
      if (this.mayStartAnother()) this.startAttempt();
    }, this.hedging!.hedgingDelayMs);
  }

  /** True when `call` is the committed attempt, committing to it when none is yet. */
  private owns(call: ClientCall<I, O>, reason: string): boolean {
    if (this.committed === undefined && !this.closed) this.commit(call, reason);
    return this.committed === call;
  }

  private mayStartAnother(): boolean {
    return this.whyNoOther() === undefined;
  }

  /** Why no further attempt may start, or undefined when one may. */
  private whyNoOther(): string | undefined {
    if (this.closed) return "the call has ended";
    if (this.committed !== undefined) return `committed after ${this.commitReason}`;
    if (this.attempts >= this.maxAttempts) return `all ${this.maxAttempts} attempts made`;
    if (this.opts.deadline !== undefined && this.opts.deadline <= Date.now()) return "the deadline has passed";
    if (this.state?.throttle?.allowsRetry === false) return "retries are throttled on this channel (retryThrottling)";
    return undefined;
  }

  /** Traces why a failed attempt is the call's end, under GRPC_TRACE=retry. */
  private traceNotRetried(error: GrpcError, why: string): void {
    if (isTracerEnabled("retry")) trace("retry", `${this.path}: ${codeName(error.code)} not retried: ${why}`);
  }

  private onAttemptClose(call: ClientCall<I, O>, error: GrpcError | undefined, trailer: Metadata): void {
    this.live.delete(call);
    if (this.closed) return;
    const retryable =
      error !== undefined &&
      (this.retry !== undefined ? this.retry.retryableStatusCodes.has(error.code) : this.hedging!.nonFatalStatusCodes.has(error.code));
    if (this.committed !== undefined) {
      if (this.committed !== call) return;
      // gRFC A6: once committed, a retryable status is the call's status; say why.
      if (retryable) this.traceNotRetried(error, `committed after ${this.commitReason}`);
      this.finish(error, trailer);
      return;
    }
    if (error === undefined) {
      this.commit(call, "an OK status");
      this.finish(undefined, trailer);
      return;
    }
    if (retryable) this.state?.throttle?.onFailure();
    const pushback = retryable ? pushbackOf(trailer) : "stop";
    const whyNot = pushback === "stop" ? undefined : this.whyNoOther();
    if (pushback !== "stop" && whyNot === undefined) {
      if (this.retry !== undefined) {
        this.scheduleRetry(pushback);
        return;
      }
      if (pushback !== undefined) {
        // The server asked for a pause: the next hedge waits for it.
        this.hedgeTimer?.clear();
        this.hedgeTimer = new LongTimer(() => {
          this.hedgeTimer = undefined;
          if (this.mayStartAnother()) this.startAttempt();
        }, pushback);
        return;
      }
      if (this.live.size === 0) this.startAttempt();
      return;
    }
    // Hedging: other attempts may still succeed; the call ends with the last one.
    if (pushback !== "stop" && this.live.size > 0) return;
    this.traceNotRetried(
      error,
      !retryable
        ? `the status is not in ${this.retry !== undefined ? "retryableStatusCodes" : "nonFatalStatusCodes"}`
        : pushback === "stop"
          ? "the server's grpc-retry-pushback-ms said not to"
          : whyNot!,
    );
    this.commit(call, "the last attempt failed");
    this.finish(error, trailer);
  }

  private scheduleRetry(pushback: number | undefined): void {
    const retry = this.retry!;
    let delay: number;
    trace("retry", `${this.path}: attempt ${this.attempts} failed; retrying${pushback !== undefined ? ` after the server's pushback of ${pushback} ms` : ""}`);
    if (pushback !== undefined) {
      delay = pushback;
      this.backoffMs = retry.initialBackoffMs;
    } else {
      delay = Math.random() * this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * retry.backoffMultiplier, retry.maxBackoffMs);
    }
    const deadline = this.opts.deadline;
    if (deadline !== undefined) delay = Math.min(delay, Math.max(0, deadline - Date.now()));
    this.retryTimer = new LongTimer(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      if (deadline !== undefined && deadline <= Date.now()) {
        this.finish(new GrpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded while waiting to retry"), new Metadata());
        return;
      }
      this.startAttempt();
    }, delay);
  }

  /** From now on the call is `call`: the other attempts are cancelled and the replay buffer is let go. */
  private commit(call: ClientCall<I, O>, reason: string): void {
    this.committed = call;
    this.commitReason = reason;
    this.clearTimers();
    for (const other of [...this.live]) {
      if (other === call) continue;
      this.live.delete(other);
      other.cancel(new GrpcError(Code.CANCELLED, "another attempt of this call won"));
    }
    this.releaseBuffer();
  }

  private releaseBuffer(): void {
    if (this.buffer === undefined) return;
    this.buffer = undefined;
    if (this.state !== undefined) this.state.bufferedBytes -= this.bufferedBytes;
    this.bufferedBytes = 0;
  }

  private clearTimers(): void {
    this.retryTimer?.clear();
    this.hedgeTimer?.clear();
    this.retryTimer = this.hedgeTimer = undefined;
  }

  /** Ends the call; `cancelling` are attempts still running, ended first so their ends come before the call's. */
  private finish(error: GrpcError | undefined, trailer: Metadata, cancelling: readonly ClientCall<I, O>[] = []): void {
    if (this.closed) return;
    this.closed = true;
    for (const call of cancelling) call.cancel(error);
    this.clearTimers();
    this.releaseBuffer();
    if (this.abortListener !== undefined) this.opts.signal?.removeEventListener("abort", this.abortListener);
    if (error === undefined) this.state?.throttle?.onSuccess();
    const stats = this.opts.stats;
    if (stats !== undefined) stats.emit({ type: "callEnd", code: error?.code ?? Code.OK, error, attempts: stats.attemptCount, time: Date.now() });
    this.listener.onClose(error, trailer);
  }

  send(message: MessageShape<I>): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.committed !== undefined) return this.committed.send(message);
    const buffer = this.buffer!;
    let size: number;
    try {
      size = serializedSize(this.host.codec, this.input, message);
    } catch (e) {
      // As a single call does: the call ends, with the reason, before any attempt sends it.
      this.cancel(new GrpcError(Code.INTERNAL, `failed to serialize request: ${e instanceof Error ? e.message : String(e)}`));
      return Promise.resolve();
    }
    this.bufferedBytes += size;
    if (this.state !== undefined) this.state.bufferedBytes += size;
    buffer.push(message);
    let last: Promise<void> | undefined;
    for (const call of this.live) last = call.send(message);
    if (this.overBufferLimit()) this.commitToNewest();
    return last;
  }

  private overBufferLimit(): boolean {
    const perCall = this.state?.perCallBufferBytes ?? Infinity;
    const channel = this.state?.channelBufferBytes ?? Infinity;
    return this.bufferedBytes > perCall || (this.state?.bufferedBytes ?? 0) > channel;
  }

  /** Too much held for replay: no more attempts, the newest one is the call. */
  private commitToNewest(): void {
    let newest: ClientCall<I, O> | undefined;
    for (const call of this.live) newest = call;
    if (newest === undefined) {
      // Waiting to retry: start the attempt now, with what was held, and keep it.
      this.clearTimers();
      this.startAttempt();
      for (const call of this.live) newest = call;
    }
    this.commit(newest!, "its request messages outgrew the retry buffer");
  }

  sendLast(message: MessageShape<I>): void {
    void this.send(message);
    this.halfClose();
  }

  halfClose(): void {
    if (this.closed || this.halfClosed) return;
    this.halfClosed = true;
    if (this.committed !== undefined) this.committed.halfClose();
    else for (const call of this.live) call.halfClose();
  }

  cancel(error: GrpcError = new GrpcError(Code.CANCELLED, "call cancelled by the client")): void {
    if (this.closed) return;
    const live = [...this.live];
    this.live.clear();
    this.finish(error, new Metadata(), live);
  }

  pause(): void {
    this.paused = true;
    if (this.committed !== undefined) this.committed.pause();
    else for (const call of this.live) call.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.committed !== undefined) this.committed.resume();
    else for (const call of this.live) call.resume();
  }
}
