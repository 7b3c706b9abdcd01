/**
 * The stats hook, as grpc-go's stats.Handler: a handler given to a channel or a server
 * tags each call when it starts (`tagCall`, grpc-go's TagRPC) and then hears every
 * event of it with that tag (`handleCall`, grpc-go's HandleRPC): each attempt's begin
 * and end, headers and trailers with their metadata, every message, and on the client
 * the end of the call as its caller sees it. Connections are tagged and heard the same
 * way (`tagConnection`, `handleConnection`). @grpckit/opentelemetry and
 * @grpckit/binarylog are built on it. With no handler, a call checks one undefined field.
 */
import type { Code } from "../status/code.js";
import type { GrpcError } from "../status/grpc-error.js";
import type { ReadonlyMetadata } from "../metadata/metadata.js";
import type { MetricsRecorder } from "./metrics-recorder.js";

/** What a handler is told when a call starts, to tag it. */
export interface CallTagInfo {
  readonly side: "client" | "server";
  /** "/package.Service/Method" */
  readonly method: string;
  /** The channel's target (client side). */
  readonly target?: string;
  /** The peer's address (server side; on the client each attempt's headers carry it). */
  readonly peer?: string;
  /** When the call started (ms since the epoch). */
  readonly startTime: number;
}

/**
 * An attempt began. On the client, once per attempt of the call: the first, each retry
 * or hedge, and each transparent retry of a stream the server refused unseen; on the
 * server, once per call (attempt 0).
 */
export interface BeginEvent {
  readonly type: "begin";
  /** The attempt's number within the call, from 0. */
  readonly attempt: number;
  /** Sent again, unasked, because the server refused the stream before its application saw it (gRFC A6). */
  readonly transparentRetry: boolean;
  /** An attempt a hedging policy started beside the others (not the first). */
  readonly hedge: boolean;
  readonly time: number;
}

/** Headers went out or came in. */
export interface HeaderEvent {
  /** "outHeader": sent (the client's request headers, the server's response headers); "inHeader": received. */
  readonly type: "outHeader" | "inHeader";
  readonly attempt: number;
  /** The custom metadata, without gRPC's reserved headers. */
  readonly metadata: ReadonlyMetadata;
  /** The grpc-encoding of the messages that follow, when they are compressed. */
  readonly compression: string | undefined;
  /** Request headers only: "/package.Service/Method". */
  readonly method?: string;
  /** Request headers only: the :authority. */
  readonly authority?: string;
  /** Request headers only: the grpc-timeout, in ms, when the call has a deadline. */
  readonly timeoutMs?: number;
  /** The other end's address. */
  readonly peer: string;
  /** This end's address, when the transport knows it. */
  readonly localAddress?: string;
  readonly time: number;
}

/** A message went out or came in. */
export interface PayloadEvent {
  readonly type: "outPayload" | "inPayload";
  readonly attempt: number;
  /** The message as the application sent it or receives it. */
  readonly message: unknown;
  /** Its serialized size, uncompressed. */
  readonly length: number;
  /** Its size on the wire without the 5-byte prefix: compressed when it was, else `length`. */
  readonly compressedLength: number;
  /** Its serialized bytes, uncompressed (joined on first call when the message was sent in pieces). */
  data(): Uint8Array;
  readonly time: number;
}

/** The client half-closed: sent on the client side, received on the server side. */
export interface HalfCloseEvent {
  readonly type: "halfClose";
  readonly attempt: number;
  readonly time: number;
}

/** The status went out (server) or came in (client), with the trailing metadata. */
export interface TrailerEvent {
  readonly type: "outTrailer" | "inTrailer";
  readonly attempt: number;
  readonly code: Code;
  /** Undefined when the status is OK. */
  readonly error: GrpcError | undefined;
  /** The custom trailing metadata, without gRPC's reserved headers. */
  readonly metadata: ReadonlyMetadata;
  /** The grpc-status-details-bin value (a google.rpc.Status), when the status has details. */
  readonly statusDetails: Uint8Array | undefined;
  /** On the client, the server's address (a trailers-only response has no headers to carry it). */
  readonly peer?: string;
  readonly time: number;
}

/**
 * An attempt ended (client), or the call ended (server); heard once per begin.
 * `statusExchanged` is false when the stream ended without a status: cancelled, reset,
 * past its deadline on the client, or the connection lost.
 */
export interface EndEvent {
  readonly type: "end";
  readonly attempt: number;
  readonly code: Code;
  /** Undefined when the attempt ended OK. */
  readonly error: GrpcError | undefined;
  /** The status went over the wire: the client received trailers, or the server sent them. */
  readonly statusExchanged: boolean;
  readonly time: number;
}

/** The client call ended with the status its caller sees; heard once, after every attempt's end. */
export interface CallEndEvent {
  readonly type: "callEnd";
  readonly code: Code;
  readonly error: GrpcError | undefined;
  /** Attempts the call made. */
  readonly attempts: number;
  readonly time: number;
}

/** Every event of a call, told apart by `type`. */
export type CallStatsEvent = BeginEvent | HeaderEvent | PayloadEvent | HalfCloseEvent | TrailerEvent | EndEvent | CallEndEvent;

/** What a handler is told when a connection is ready for calls, to tag it. */
export interface ConnectionTagInfo {
  readonly side: "client" | "server";
  /** The other end's address. */
  readonly peer: string;
  /** This end's address, when the transport knows it. */
  readonly localAddress?: string;
}

/** A connection began (ready for calls) or ended (closed, for any reason). */
export interface ConnectionStatsEvent {
  readonly type: "begin" | "end";
  readonly time: number;
}

/**
 * A stats handler: given in `statsHandlers` to a channel or a server. Every method is
 * optional. A handler with `tagCall` hears the events of the calls it returns a tag
 * for (anything but undefined), each with that tag; without `tagCall` it hears every
 * call with the tag undefined. Connections are the same with `tagConnection`. Handlers
 * are called on the call's path: they should record and return, never block.
 *
 * @example
 * const calls: StatsHandler<{ method: string; start: number }> = {
 *   tagCall: (info) => ({ method: info.method, start: info.startTime }),
 *   handleCall(tag, event) {
 *     if (event.type === "end") console.log(tag.method, "attempt", event.attempt, codeName(event.code));
 *   },
 * };
 * const channel = createChannel(target, { statsHandlers: [calls] });
 */
export interface StatsHandler<CallTag = unknown, ConnectionTag = unknown> {
  /** A call started: return its tag, or undefined to hear nothing of it. */
  tagCall?(info: CallTagInfo): CallTag | undefined;
  /** One event of a tagged call. */
  handleCall?(tag: CallTag, event: CallStatsEvent): void;
  /** A connection is ready for calls: return its tag, or undefined to hear nothing of it. */
  tagConnection?(info: ConnectionTagInfo): ConnectionTag | undefined;
  /** The connection's begin, then its end. */
  handleConnection?(tag: ConnectionTag, event: ConnectionStatsEvent): void;
  /**
   * The recorder of plug-in metrics (gRFC A79) for a channel to `target` (its canonical
   * form, "dns:///host:443"), asked once when the channel is made: the channel's
   * balancers record through it, and it adds `target` as the `grpc.target` label.
   * Omit it, or return undefined, to record no plug-in metrics.
   */
  metricsRecorder?(target: string): MetricsRecorder | undefined;
}

/** One call as its handlers hear it: each listening handler with its tag, and the attempts numbered. */
export class CallStats {
  private attempts = 0;

  constructor(
    private readonly handlers: readonly StatsHandler[],
    private readonly tags: readonly unknown[],
  ) {}

  /** The next attempt's number. */
  nextAttempt(): number {
    return this.attempts++;
  }

  /** Attempts numbered so far. */
  get attemptCount(): number {
    return this.attempts;
  }

  emit(event: CallStatsEvent): void {
    const handlers = this.handlers;
    for (let i = 0; i < handlers.length; i++) handlers[i].handleCall?.(this.tags[i], event);
  }
}

/** The stats of one call for every handler that tags it, or undefined when none does. */
export function startCallStats(handlers: readonly StatsHandler[] | undefined, info: CallTagInfo): CallStats | undefined {
  if (handlers === undefined || handlers.length === 0) return undefined;
  let listening: StatsHandler[] | undefined;
  let tags: unknown[] | undefined;
  for (const h of handlers) {
    if (h.handleCall === undefined) continue;
    const tag = h.tagCall === undefined ? undefined : h.tagCall(info);
    if (h.tagCall !== undefined && tag === undefined) continue;
    (listening ??= []).push(h);
    (tags ??= []).push(tag);
  }
  return listening === undefined ? undefined : new CallStats(listening, tags!);
}

/**
 * Tells the handlers a connection began; returns what tells them it ended (once), or
 * undefined when no handler listens.
 */
export function startConnectionStats(handlers: readonly StatsHandler[] | undefined, info: ConnectionTagInfo): (() => void) | undefined {
  if (handlers === undefined || handlers.length === 0) return undefined;
  const listening: [StatsHandler, unknown][] = [];
  for (const h of handlers) {
    if (h.handleConnection === undefined) continue;
    const tag = h.tagConnection === undefined ? undefined : h.tagConnection(info);
    if (h.tagConnection !== undefined && tag === undefined) continue;
    listening.push([h, tag]);
  }
  if (listening.length === 0) return undefined;
  const begin: ConnectionStatsEvent = { type: "begin", time: Date.now() };
  for (const [h, tag] of listening) h.handleConnection!(tag, begin);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    const end: ConnectionStatsEvent = { type: "end", time: Date.now() };
    for (const [h, tag] of listening) h.handleConnection!(tag, end);
  };
}
