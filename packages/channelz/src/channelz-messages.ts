/**
 * Core's channelz records as grpc.channelz.v1 messages: one function per entity, each
 * reading the record at the moment of the call.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ConnectivityState,
  type ChannelzCallCounts,
  type ChannelzChannel,
  type ChannelzListenSocket,
  type ChannelzRef,
  type ChannelzServer,
  type ChannelzSeverity,
  type ChannelzSocket,
  type ChannelzSubchannel,
  type ChannelzTrace,
} from "@grpckit/core";
import { addressMessage } from "./address.js";
import {
  ChannelConnectivityState_State,
  ChannelTraceEvent_Severity,
  type ChannelRefSchema,
  type ChannelSchema,
  type ChannelTraceSchema,
  type ServerRefSchema,
  type ServerSchema,
  type SocketRefSchema,
  type SocketSchema,
  type SubchannelRefSchema,
  type SubchannelSchema,
} from "./gen/grpc/channelz/v1/channelz_pb.js";
import { securityMessage } from "./security.js";

const connectivityStates: Record<ConnectivityState, ChannelConnectivityState_State> = {
  [ConnectivityState.IDLE]: ChannelConnectivityState_State.IDLE,
  [ConnectivityState.CONNECTING]: ChannelConnectivityState_State.CONNECTING,
  [ConnectivityState.READY]: ChannelConnectivityState_State.READY,
  [ConnectivityState.TRANSIENT_FAILURE]: ChannelConnectivityState_State.TRANSIENT_FAILURE,
  [ConnectivityState.SHUTDOWN]: ChannelConnectivityState_State.SHUTDOWN,
};

const severities: Record<ChannelzSeverity, ChannelTraceEvent_Severity> = {
  INFO: ChannelTraceEvent_Severity.CT_INFO,
  WARNING: ChannelTraceEvent_Severity.CT_WARNING,
  ERROR: ChannelTraceEvent_Severity.CT_ERROR,
};

/** The channelz enum value of a connectivity state (UNKNOWN for one it does not name). */
export function connectivityStateMessage(state: ConnectivityState): ChannelConnectivityState_State {
  return connectivityStates[state] ?? ChannelConnectivityState_State.UNKNOWN;
}

export function channelRef(ref: ChannelzRef): MessageInitShape<typeof ChannelRefSchema> {
  return { channelId: BigInt(ref.id), name: ref.name };
}

export function subchannelRef(ref: ChannelzRef): MessageInitShape<typeof SubchannelRefSchema> {
  return { subchannelId: BigInt(ref.id), name: ref.name };
}

export function socketRef(ref: ChannelzRef): MessageInitShape<typeof SocketRefSchema> {
  return { socketId: BigInt(ref.id), name: ref.name };
}

export function serverRef(ref: ChannelzRef): MessageInitShape<typeof ServerRefSchema> {
  return { serverId: BigInt(ref.id), name: ref.name };
}

function timestamp(ms: number | undefined) {
  return ms === undefined ? undefined : timestampFromMs(ms);
}

export function traceMessage(trace: ChannelzTrace): MessageInitShape<typeof ChannelTraceSchema> {
  return {
    numEventsLogged: BigInt(trace.eventsLogged),
    creationTimestamp: timestampFromDate(trace.createdAt),
    events: trace.events.map((e) => ({
      description: e.description,
      severity: severities[e.severity] ?? ChannelTraceEvent_Severity.CT_UNKNOWN,
      timestamp: timestampFromDate(e.timestamp),
      childRef:
        e.childRef?.kind === "channel"
          ? { case: "channelRef", value: channelRef(e.childRef) }
          : e.childRef?.kind === "subchannel"
            ? { case: "subchannelRef", value: subchannelRef(e.childRef) }
            : { case: undefined },
    })),
  };
}

function int64(n: number | undefined): bigint | undefined {
  return n === undefined || !Number.isFinite(n) ? undefined : BigInt(Math.trunc(n));
}

function callCounts(calls: ChannelzCallCounts) {
  return {
    callsStarted: BigInt(calls.callsStarted),
    callsSucceeded: BigInt(calls.callsSucceeded),
    callsFailed: BigInt(calls.callsFailed),
    lastCallStartedTimestamp: timestamp(calls.lastCallStarted),
  };
}

function byId<T extends { readonly id: number }>(entities: Iterable<T>): T[] {
  return [...entities].sort((a, b) => a.id - b.id);
}

export function channelMessage(channel: ChannelzChannel): MessageInitShape<typeof ChannelSchema> {
  return {
    ref: channelRef(channel.ref),
    data: {
      state: { state: connectivityStateMessage(channel.state) },
      target: channel.target,
      trace: traceMessage(channel.trace),
      ...callCounts(channel.calls),
    },
    subchannelRef: byId(channel.subchannels).map((sc) => subchannelRef(sc.ref)),
  };
}

export function subchannelMessage(subchannel: ChannelzSubchannel): MessageInitShape<typeof SubchannelSchema> {
  return {
    ref: subchannelRef(subchannel.ref),
    data: {
      state: { state: connectivityStateMessage(subchannel.state) },
      target: subchannel.target,
      trace: traceMessage(subchannel.trace),
      ...callCounts(subchannel.calls),
    },
    socketRef: byId(subchannel.sockets).map((s) => socketRef(s.ref)),
  };
}

export function serverMessage(server: ChannelzServer): MessageInitShape<typeof ServerSchema> {
  const { callsStarted, callsSucceeded, callsFailed, lastCallStartedTimestamp } = callCounts(server.calls);
  return {
    ref: serverRef(server.ref),
    data: { trace: traceMessage(server.trace), callsStarted, callsSucceeded, callsFailed, lastCallStartedTimestamp },
    listenSocket: byId(server.listenSockets).map((l) => socketRef(l.ref)),
  };
}

/**
 * A connection's Socket. With `summary` (GetSocket's summary flag) only the counters
 * are read, not the flow-control windows, which ask the transport.
 */
export function socketMessage(socket: ChannelzSocket, summary = false): MessageInitShape<typeof SocketSchema> {
  const windows = summary ? undefined : socket.flowControl();
  return {
    ref: socketRef(socket.ref),
    data: {
      streamsStarted: BigInt(socket.streamsStarted),
      streamsSucceeded: BigInt(socket.streamsSucceeded),
      streamsFailed: BigInt(socket.streamsFailed),
      messagesSent: BigInt(socket.messagesSent),
      messagesReceived: BigInt(socket.messagesReceived),
      keepAlivesSent: BigInt(socket.keepAlivesSent),
      lastLocalStreamCreatedTimestamp: timestamp(socket.lastLocalStreamCreated),
      lastRemoteStreamCreatedTimestamp: timestamp(socket.lastRemoteStreamCreated),
      lastMessageSentTimestamp: timestamp(socket.lastMessageSent),
      lastMessageReceivedTimestamp: timestamp(socket.lastMessageReceived),
      localFlowControlWindow: int64(windows?.local),
      remoteFlowControlWindow: int64(windows?.remote),
    },
    local: socket.local === undefined ? undefined : addressMessage(socket.local),
    remote: addressMessage(socket.remote),
    security: securityMessage(socket.security),
  };
}

/** A listening socket's Socket: its reference and bound address. */
export function listenSocketMessage(socket: ChannelzListenSocket): MessageInitShape<typeof SocketSchema> {
  return { ref: socketRef(socket.ref), local: addressMessage(socket.local) };
}
