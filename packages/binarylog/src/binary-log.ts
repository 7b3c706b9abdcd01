/**
 * Binary logging (gRFC A16) on core's stats hook: for each call the filter selects, a
 * GrpcLogEntry per event, on the client and on the server. A client logs each attempt
 * of a retried or hedged call as a call of its own (its own call_id, sequence ids from
 * 1), so a replay sees every attempt as it went over the wire.
 */
import { create } from "@bufbuild/protobuf";
import { Code, type CallStatsEvent, type CallTagInfo, type StatsHandler } from "@grpckit/core";
import {
  ClientHeaderSchema,
  GrpcLogEntrySchema,
  GrpcLogEntry_EventType as EventType,
  GrpcLogEntry_Logger as Logger,
  ServerHeaderSchema,
  TrailerSchema,
  type GrpcLogEntry,
} from "./gen/grpc/binlog/v1/binarylog_pb.js";
import { parseBinaryLogFilter, type BinaryLogFilter, type BinaryLogLimits } from "./filter.js";
import { addressOf, loggedMessage, loggedMetadata, timeoutOf, timestampOf } from "./log-entry.js";
import type { BinaryLogSink } from "./sink.js";

export interface BinaryLogOptions {
  /** Which methods are logged and how much of each: a GRPC_BINARY_LOG_FILTER value, or one parsed already. */
  readonly filter: string | BinaryLogFilter;
  /** Where the entries go (`fileSink(path)`, or your own). */
  readonly sink: BinaryLogSink;
}

/** Call ids, unique in the process for as long as it runs; 0 is never one (A16). */
let lastCallId = 0n;

/** One logged call (on the client, one attempt): its id, its next sequence id, and what it has logged. */
class LoggedCall {
  readonly callId = ++lastCallId;
  private sequence = 0n;
  peerLogged = false;
  headerLogged = false;
  trailerLogged = false;

  constructor(
    private readonly logger: Logger,
    private readonly sink: BinaryLogSink,
  ) {}

  write(time: number, type: EventType, init: Partial<Pick<GrpcLogEntry, "payload" | "payloadTruncated" | "peer">>): void {
    this.sink.write(
      create(GrpcLogEntrySchema, {
        timestamp: timestampOf(time),
        callId: this.callId,
        sequenceIdWithinCall: ++this.sequence,
        type,
        logger: this.logger,
        ...init,
      }),
    );
  }
}

/** What a handler tags a logged call with. */
class CallLog {
  /** The server's one call, or the client's attempts by number. */
  private readonly calls = new Map<number, LoggedCall>();

  constructor(
    private readonly side: "client" | "server",
    private readonly limits: BinaryLogLimits,
    private readonly sink: BinaryLogSink,
  ) {}

  handle(event: CallStatsEvent): void {
    if (event.type === "callEnd") return;
    if (event.type === "begin") {
      this.calls.set(event.attempt, new LoggedCall(this.side === "client" ? Logger.CLIENT : Logger.SERVER, this.sink));
      return;
    }
    const call = this.calls.get(event.attempt);
    if (call === undefined) return;
    const client = this.side === "client";
    switch (event.type) {
      case "outHeader":
      case "inHeader": {
        const { metadata, truncated } = loggedMetadata(event.metadata, this.limits.headerBytes);
        // The client's header goes out on the client and comes in on the server.
        if (client === (event.type === "outHeader")) {
          call.headerLogged = true;
          const header = create(ClientHeaderSchema, {
            metadata,
            methodName: event.method ?? "",
            authority: event.authority ?? "",
            timeout: event.timeoutMs === undefined ? undefined : timeoutOf(event.timeoutMs),
          });
          // The server logs its peer with the client's header.
          const peer = client ? undefined : addressOf(event.peer);
          if (peer !== undefined) call.peerLogged = true;
          call.write(event.time, EventType.CLIENT_HEADER, { payload: { case: "clientHeader", value: header }, payloadTruncated: truncated, peer });
        } else {
          const peer = client && !call.peerLogged ? addressOf(event.peer) : undefined;
          if (peer !== undefined) call.peerLogged = true;
          const header = create(ServerHeaderSchema, { metadata });
          call.write(event.time, EventType.SERVER_HEADER, { payload: { case: "serverHeader", value: header }, payloadTruncated: truncated, peer });
        }
        return;
      }
      case "outPayload":
      case "inPayload": {
        const { message, truncated } = loggedMessage(event.length, event.data, this.limits.messageBytes);
        const fromClient = client === (event.type === "outPayload");
        call.write(event.time, fromClient ? EventType.CLIENT_MESSAGE : EventType.SERVER_MESSAGE, {
          payload: { case: "message", value: message },
          payloadTruncated: truncated,
        });
        return;
      }
      case "halfClose":
        call.write(event.time, EventType.CLIENT_HALF_CLOSE, {});
        return;
      case "outTrailer":
      case "inTrailer": {
        call.trailerLogged = true;
        const { metadata, truncated } = loggedMetadata(event.metadata, this.limits.headerBytes);
        const trailer = create(TrailerSchema, {
          metadata,
          statusCode: event.code,
          statusMessage: event.error?.rawMessage ?? "",
          statusDetails: event.statusDetails,
        });
        // A client that had no response headers logs the server's address here.
        const peer = client && !call.peerLogged && event.peer !== undefined ? addressOf(event.peer) : undefined;
        if (peer !== undefined) call.peerLogged = true;
        call.write(event.time, EventType.SERVER_TRAILER, { payload: { case: "trailer", value: trailer }, payloadTruncated: truncated, peer });
        return;
      }
      case "end": {
        this.calls.delete(event.attempt);
        // Nothing went over the wire for an attempt that never sent its headers.
        if (call.trailerLogged || !call.headerLogged) return;
        if (!client) {
          // The server's status never went out: the client cancelled or the connection was lost.
          call.write(event.time, EventType.CANCEL, {});
          return;
        }
        if (event.code === Code.CANCELLED) {
          call.write(event.time, EventType.CANCEL, {});
          return;
        }
        // The status the client made itself (deadline, lost connection), logged as the trailer.
        const trailer = create(TrailerSchema, { statusCode: event.code, statusMessage: event.error?.rawMessage ?? "" });
        call.write(event.time, EventType.SERVER_TRAILER, { payload: { case: "trailer", value: trailer } });
        return;
      }
    }
  }
}

/**
 * A stats handler that writes gRFC A16 binary logs of the calls `filter` selects. Give
 * it to channels and servers in `statsHandlers`; the same handler serves both, each
 * entry marked LOGGER_CLIENT or LOGGER_SERVER. Throws a BinaryLogFilterError for a
 * filter that does not parse.
 *
 * @example
 * const sink = fileSink("/tmp/grpc-binary.log");
 * const log = binaryLog({ filter: "demo.v1.Greeter/*{h:4096;m:1024},-demo.v1.Greeter/Health", sink });
 * const server = createServer({ transport: h2Transport(), statsHandlers: [log] });
 */
export function binaryLog(options: BinaryLogOptions): StatsHandler {
  const filter = typeof options.filter === "string" ? parseBinaryLogFilter(options.filter) : options.filter;
  const sink = options.sink;
  return {
    tagCall(info: CallTagInfo): CallLog | undefined {
      const limits = filter.limitsFor(info.method);
      return limits === undefined ? undefined : new CallLog(info.side, limits, sink);
    },
    handleCall(log: CallLog, event: CallStatsEvent): void {
      log.handle(event);
    },
  };
}

/**
 * The binary log GRPC_BINARY_LOG_FILTER asks for, writing to `sink`; undefined when the
 * variable is unset or empty. Throws a BinaryLogFilterError naming the variable when its
 * value does not parse.
 *
 * @example
 * const log = binaryLogFromEnvironment(fileSink("/tmp/grpc-binary.log"));
 * const server = createServer({ transport: h2Transport(), statsHandlers: log === undefined ? [] : [log] });
 */
export function binaryLogFromEnvironment(sink: BinaryLogSink, env: NodeJS.ProcessEnv = process.env): StatsHandler | undefined {
  const value = env.GRPC_BINARY_LOG_FILTER;
  if (value === undefined || value.trim() === "") return undefined;
  try {
    return binaryLog({ filter: parseBinaryLogFilter(value), sink });
  } catch (e) {
    if (e instanceof Error) e.message = `GRPC_BINARY_LOG_FILTER: ${e.message}`;
    throw e;
  }
}
