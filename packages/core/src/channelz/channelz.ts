/**
 * Channelz records (gRFC A14): what core knows about its channels, subchannels,
 * servers and sockets, kept only once `enableChannelz()` was called. Until then core
 * checks one module variable per channel, connection and call, and records nothing.
 * @grpckit/channelz serves these records as the grpc.channelz.v1 service and a web page.
 */
import type { AuthInfo } from "../credentials/credentials.js";
import { ConnectivityState } from "../balancer/connectivity-state.js";
import type { FlowControlWindows, ServerConnection } from "../transport/transport.js";
import { processWide } from "../registry/process-state.js";

/** What channelz reads of a connection; a ClientTransport and a ServerConnection both have it. */
export type ChannelzConnection = Pick<ServerConnection, "peer" | "localAddress" | "flowControl" | "keepalivesSent">;

/** How many trace events an entity keeps; older ones are dropped (and still counted). */
export const channelzMaxTraceEvents = 32;

export type ChannelzEntityKind = "channel" | "subchannel" | "server" | "socket" | "listen-socket";

/** A reference to an entity: what channelz's ChannelRef, SubchannelRef, SocketRef and ServerRef carry. */
export interface ChannelzRef {
  readonly kind: ChannelzEntityKind;
  readonly id: number;
  readonly name: string;
}

export type ChannelzSeverity = "INFO" | "WARNING" | "ERROR";

export interface ChannelzTraceEvent {
  readonly description: string;
  readonly severity: ChannelzSeverity;
  readonly timestamp: Date;
  /** The channel or subchannel the event is about, when it names a child. */
  readonly childRef?: ChannelzRef;
}

/** The most recent trace events of one entity. */
export class ChannelzTrace {
  readonly createdAt = new Date();
  /** Every event logged, including those no longer kept. */
  eventsLogged = 0;
  readonly events: ChannelzTraceEvent[] = [];

  add(severity: ChannelzSeverity, description: string, childRef?: ChannelzRef): void {
    this.eventsLogged++;
    this.events.push({ description, severity, timestamp: new Date(), childRef });
    if (this.events.length > channelzMaxTraceEvents) this.events.shift();
  }
}

/** Calls started, succeeded (status OK) and failed on a channel, subchannel or server. */
export class ChannelzCallCounts {
  callsStarted = 0;
  callsSucceeded = 0;
  callsFailed = 0;
  /** When the last call started, in ms since the epoch (a number, so counting allocates nothing). */
  lastCallStarted: number | undefined;

  callStarted(): void {
    this.callsStarted++;
    this.lastCallStarted = Date.now();
  }

  callEnded(ok: boolean): void {
    if (ok) this.callsSucceeded++;
    else this.callsFailed++;
  }
}

abstract class Entity {
  readonly ref: ChannelzRef;
  constructor(kind: ChannelzEntityKind, id: number, name: string) {
    this.ref = { kind, id, name };
  }
  get id(): number {
    return this.ref.id;
  }
}

export class ChannelzChannel extends Entity {
  readonly calls = new ChannelzCallCounts();
  readonly trace = new ChannelzTrace();
  state: ConnectivityState = ConnectivityState.IDLE;
  readonly subchannels = new Set<ChannelzSubchannel>();
  constructor(
    id: number,
    /** The target the channel was created with. */
    readonly target: string,
  ) {
    super("channel", id, target);
  }
}

export class ChannelzSubchannel extends Entity {
  readonly calls = new ChannelzCallCounts();
  readonly trace = new ChannelzTrace();
  state: ConnectivityState = ConnectivityState.IDLE;
  /** The subchannel's connections: at most one open at a time. */
  readonly sockets = new Set<ChannelzSocket>();
  constructor(
    id: number,
    /** The addresses the subchannel connects to, comma-separated. */
    readonly target: string,
    readonly channel: ChannelzChannel,
  ) {
    super("subchannel", id, target);
  }
}

export class ChannelzServer extends Entity {
  readonly calls = new ChannelzCallCounts();
  readonly trace = new ChannelzTrace();
  readonly listenSockets = new Set<ChannelzListenSocket>();
  readonly sockets = new Set<ChannelzSocket>();
  constructor(id: number) {
    super("server", id, `server ${id}`);
  }
}

export class ChannelzListenSocket extends Entity {
  constructor(
    id: number,
    /** The bound address. */
    readonly local: string,
  ) {
    super("listen-socket", id, local);
  }
}

/** One HTTP/2 connection, client or server side. */
export class ChannelzSocket extends Entity {
  streamsStarted = 0;
  streamsSucceeded = 0;
  streamsFailed = 0;
  messagesSent = 0;
  messagesReceived = 0;
  // Times in ms since the epoch.
  lastLocalStreamCreated: number | undefined;
  lastRemoteStreamCreated: number | undefined;
  lastMessageSent: number | undefined;
  lastMessageReceived: number | undefined;
  /** Our address, when the transport knows it. */
  readonly local: string | undefined;
  /** The peer's address. */
  readonly remote: string;
  /** What the credentials' handshake established (type "insecure", "tls", ...). */
  readonly security: AuthInfo | undefined;

  constructor(
    id: number,
    /** The subchannel or server the connection belongs to. */
    readonly owner: ChannelzSubchannel | ChannelzServer,
    private readonly connection: ChannelzConnection,
  ) {
    super("socket", id, `${connection.localAddress ?? "?"} -> ${connection.peer.address}`);
    this.local = connection.localAddress;
    this.remote = connection.peer.address;
    this.security = connection.peer.authInfo;
  }

  /** The connection's current flow-control windows, when its transport can tell. */
  flowControl(): FlowControlWindows | undefined {
    return this.connection.flowControl?.();
  }

  /** Keepalive PINGs sent on the connection, as its transport counts them (0 when it does not). */
  get keepAlivesSent(): number {
    return this.connection.keepalivesSent?.() ?? 0;
  }

  get side(): "client" | "server" {
    return this.owner instanceof ChannelzServer ? "server" : "client";
  }

  /** A stream opened: by us on a client connection, by the peer on a server connection. */
  streamStarted(): void {
    this.streamsStarted++;
    if (this.side === "client") this.lastLocalStreamCreated = Date.now();
    else this.lastRemoteStreamCreated = Date.now();
  }

  /** A stream ended: `ok` when it ended with END_STREAM rather than a reset or an error. */
  streamEnded(ok: boolean): void {
    if (ok) this.streamsSucceeded++;
    else this.streamsFailed++;
  }

  messageSent(): void {
    this.messagesSent++;
    this.lastMessageSent = Date.now();
  }

  messageReceived(): void {
    this.messagesReceived++;
    this.lastMessageReceived = Date.now();
  }
}

/** One page of entities, ordered by id, as channelz's Get* calls return them. */
export interface ChannelzPage<T> {
  readonly items: T[];
  /** True when no entity follows the last one returned. */
  readonly end: boolean;
}

/** Entities returned per page when a request asks for 0 (grpc-go's default). */
export const channelzDefaultPageSize = 100;

function page<T extends Entity>(all: Iterable<T>, startId: number, maxResults: number): ChannelzPage<T> {
  const max = maxResults > 0 ? maxResults : channelzDefaultPageSize;
  const sorted = [...all].filter((e) => e.id >= startId).sort((a, b) => a.id - b.id);
  return { items: sorted.slice(0, max), end: sorted.length <= max };
}

/** Every live entity, by id. Entities leave when their channel, server or connection closes. */
export class ChannelzRegistry {
  private nextId = 1;
  private readonly channels = new Map<number, ChannelzChannel>();
  private readonly subchannels = new Map<number, ChannelzSubchannel>();
  private readonly servers = new Map<number, ChannelzServer>();
  private readonly sockets = new Map<number, ChannelzSocket>();
  private readonly listenSockets = new Map<number, ChannelzListenSocket>();

  // Queries, as the grpc.channelz.v1 calls ask them.

  topChannels(startId = 0, maxResults = 0): ChannelzPage<ChannelzChannel> {
    return page(this.channels.values(), startId, maxResults);
  }

  serverList(startId = 0, maxResults = 0): ChannelzPage<ChannelzServer> {
    return page(this.servers.values(), startId, maxResults);
  }

  serverSockets(server: ChannelzServer, startId = 0, maxResults = 0): ChannelzPage<ChannelzSocket> {
    return page(server.sockets, startId, maxResults);
  }

  channel(id: number): ChannelzChannel | undefined {
    return this.channels.get(id);
  }

  subchannel(id: number): ChannelzSubchannel | undefined {
    return this.subchannels.get(id);
  }

  server(id: number): ChannelzServer | undefined {
    return this.servers.get(id);
  }

  /** A connection or a listening socket. */
  socket(id: number): ChannelzSocket | ChannelzListenSocket | undefined {
    return this.sockets.get(id) ?? this.listenSockets.get(id);
  }

  // Recording, called by core.

  /** @internal */
  addChannel(target: string): ChannelzChannel {
    const c = new ChannelzChannel(this.nextId++, target);
    this.channels.set(c.id, c);
    c.trace.add("INFO", "Channel created");
    return c;
  }

  /** @internal */
  removeChannel(c: ChannelzChannel): void {
    for (const sc of c.subchannels) this.removeSubchannel(sc);
    this.channels.delete(c.id);
  }

  /** @internal */
  addSubchannel(channel: ChannelzChannel, target: string): ChannelzSubchannel {
    const sc = new ChannelzSubchannel(this.nextId++, target, channel);
    this.subchannels.set(sc.id, sc);
    channel.subchannels.add(sc);
    sc.trace.add("INFO", "Subchannel created");
    channel.trace.add("INFO", `Created subchannel for ${target}`, sc.ref);
    return sc;
  }

  /** @internal */
  removeSubchannel(sc: ChannelzSubchannel): void {
    for (const s of sc.sockets) this.sockets.delete(s.id);
    sc.sockets.clear();
    if (this.subchannels.delete(sc.id)) sc.channel.trace.add("INFO", `Subchannel for ${sc.target} deleted`, sc.ref);
    sc.channel.subchannels.delete(sc);
  }

  /** @internal */
  addServer(): ChannelzServer {
    const s = new ChannelzServer(this.nextId++);
    this.servers.set(s.id, s);
    s.trace.add("INFO", "Server created");
    return s;
  }

  /** @internal */
  removeServer(s: ChannelzServer): void {
    for (const l of s.listenSockets) this.listenSockets.delete(l.id);
    for (const k of s.sockets) this.sockets.delete(k.id);
    this.servers.delete(s.id);
  }

  /** @internal */
  addListenSocket(server: ChannelzServer, local: string): ChannelzListenSocket {
    const l = new ChannelzListenSocket(this.nextId++, local);
    this.listenSockets.set(l.id, l);
    server.listenSockets.add(l);
    return l;
  }

  /** @internal */
  addSocket(owner: ChannelzSubchannel | ChannelzServer, connection: ChannelzConnection): ChannelzSocket {
    const s = new ChannelzSocket(this.nextId++, owner, connection);
    this.sockets.set(s.id, s);
    owner.sockets.add(s);
    return s;
  }

  /** @internal */
  removeSocket(s: ChannelzSocket): void {
    this.sockets.delete(s.id);
    s.owner.sockets.delete(s);
  }

  /** @internal the record of a connection (a ClientTransport or a ServerConnection). */
  readonly socketOf = new WeakMap<object, ChannelzSocket>();
}

// One channelz registry for every copy of core in the process, made when channelz is enabled.
const enabled = processWide<{ registry: ChannelzRegistry | undefined }>("channelz", () => ({ registry: undefined }));

/**
 * Turns channelz on for this process and returns its registry. Channels, servers and
 * connections created from now on are recorded; earlier ones are not.
 */
export function enableChannelz(): ChannelzRegistry {
  enabled.registry ??= new ChannelzRegistry();
  return enabled.registry;
}

/** The registry once channelz is enabled; undefined until then. */
export function channelzRegistry(): ChannelzRegistry | undefined {
  return enabled.registry;
}
