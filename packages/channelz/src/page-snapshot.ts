/**
 * The JSON the channelz web page polls: every live channel (with its subchannels and
 * their sockets) and every server (with its listen sockets and connections), read from
 * the registry at the moment of the request.
 */
import type {
  ChannelzCallCounts,
  ChannelzChannel,
  ChannelzRegistry,
  ChannelzServer,
  ChannelzSocket,
  ChannelzSubchannel,
  ChannelzTrace,
} from "@grpckit/core";
import { securitySummary } from "./security.js";

/** How many of an entity's most recent trace events the page shows. */
export const pageTraceEvents = 10;

export interface CallCountsView {
  started: number;
  succeeded: number;
  failed: number;
  /** ISO time of the last call started; "" when none was. */
  lastStarted: string;
}

export interface TraceEventView {
  time: string;
  severity: string;
  description: string;
}

export interface SocketView {
  id: number;
  local: string;
  remote: string;
  streamsStarted: number;
  streamsSucceeded: number;
  streamsFailed: number;
  messagesSent: number;
  messagesReceived: number;
  security: string;
}

export interface SubchannelView {
  id: number;
  target: string;
  state: string;
  calls: CallCountsView;
  sockets: SocketView[];
  trace: TraceEventView[];
}

export interface ChannelView {
  id: number;
  target: string;
  state: string;
  calls: CallCountsView;
  subchannels: SubchannelView[];
  trace: TraceEventView[];
}

export interface ServerView {
  id: number;
  calls: CallCountsView;
  listenSockets: string[];
  sockets: SocketView[];
  trace: TraceEventView[];
}

export interface ChannelzSnapshot {
  time: string;
  channels: ChannelView[];
  servers: ServerView[];
}

function calls(c: ChannelzCallCounts): CallCountsView {
  return {
    started: c.callsStarted,
    succeeded: c.callsSucceeded,
    failed: c.callsFailed,
    lastStarted: c.lastCallStarted === undefined ? "" : new Date(c.lastCallStarted).toISOString(),
  };
}

function trace(t: ChannelzTrace): TraceEventView[] {
  return t.events
    .slice(-pageTraceEvents)
    .reverse()
    .map((e) => ({ time: e.timestamp.toISOString(), severity: e.severity, description: e.description }));
}

function byId<T extends { readonly id: number }>(entities: Iterable<T>): T[] {
  return [...entities].sort((a, b) => a.id - b.id);
}

function socket(s: ChannelzSocket): SocketView {
  return {
    id: s.id,
    local: s.local ?? "",
    remote: s.remote,
    streamsStarted: s.streamsStarted,
    streamsSucceeded: s.streamsSucceeded,
    streamsFailed: s.streamsFailed,
    messagesSent: s.messagesSent,
    messagesReceived: s.messagesReceived,
    security: securitySummary(s.security),
  };
}

function subchannel(sc: ChannelzSubchannel): SubchannelView {
  return {
    id: sc.id,
    target: sc.target,
    state: sc.state,
    calls: calls(sc.calls),
    sockets: byId(sc.sockets).map(socket),
    trace: trace(sc.trace),
  };
}

function channel(c: ChannelzChannel): ChannelView {
  return {
    id: c.id,
    target: c.target,
    state: c.state,
    calls: calls(c.calls),
    subchannels: byId(c.subchannels).map(subchannel),
    trace: trace(c.trace),
  };
}

function server(s: ChannelzServer): ServerView {
  return {
    id: s.id,
    calls: calls(s.calls),
    listenSockets: byId(s.listenSockets).map((l) => l.local),
    sockets: byId(s.sockets).map(socket),
    trace: trace(s.trace),
  };
}

/** Every channel and server of `registry`, in id order, as plain JSON-ready data. */
export function channelzSnapshot(registry: ChannelzRegistry): ChannelzSnapshot {
  const channels: ChannelView[] = [];
  for (let start = 0; ; ) {
    const page = registry.topChannels(start);
    channels.push(...page.items.map(channel));
    if (page.end || page.items.length === 0) break;
    start = page.items[page.items.length - 1]!.id + 1;
  }
  const servers: ServerView[] = [];
  for (let start = 0; ; ) {
    const page = registry.serverList(start);
    servers.push(...page.items.map(server));
    if (page.end || page.items.length === 0) break;
    start = page.items[page.items.length - 1]!.id + 1;
  }
  return { time: new Date().toISOString(), channels, servers };
}
