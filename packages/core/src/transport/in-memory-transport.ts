/**
 * An in-memory transport: client and server in one process, no sockets, like grpc-go's
 * bufconn. Headers, DATA and trailers pass as objects with the same ordering, flow
 * control (a paused reader makes the writer's `write` return false) and reset
 * semantics as HTTP/2, so services are tested without ports.
 *
 * @example
 * const transport = createInMemoryTransport();
 * const server = createServer({ transport });
 * await server.listen("greeter");
 * const client = createClient(GreeterService, createChannel("greeter", { transport }));
 */
import { Http2ErrorCode } from "./transport.js";
import type {
  ClientStreamListener,
  ClientTransport,
  ClientTransportOptions,
  ClientTransportStream,
  Http2Headers,
  Peer,
  ServerConnection,
  ServerStreamListener,
  ServerTransportOptions,
  ServerTransportStream,
  TransportBuilder,
  TransportListener,
} from "./transport.js";

/** Bytes queued toward a reader before the writer is told to wait (an HTTP/2 stream window). */
const windowBytes = 65_535;

/** One direction of a stream: events queued until the reader takes them. */
class Half<E extends { bytes?: number }> {
  private events: E[] = [];
  private queued = 0;
  private scheduled = false;
  private paused = false;
  private wantDrain = false;
  private deliver: ((e: E) => void) | undefined;

  constructor(private readonly onDrain: () => void) {}

  attach(deliver: (e: E) => void): void {
    this.deliver = deliver;
    this.schedule();
  }

  /** Queues an event; returns false when the writer should wait for drain. */
  push(e: E): boolean {
    this.events.push(e);
    this.queued += e.bytes ?? 0;
    this.schedule();
    if (this.queued >= windowBytes) {
      this.wantDrain = true;
      return false;
    }
    return true;
  }

  /** Drops queued events (a reset) and delivers `e` at once. */
  abort(e: E): void {
    this.events = [e];
    this.queued = 0;
    this.paused = false;
    this.schedule();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.paused || this.deliver === undefined || this.events.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    while (!this.paused && this.deliver !== undefined && this.events.length > 0) {
      const e = this.events.shift()!;
      this.queued -= e.bytes ?? 0;
      this.deliver(e);
    }
    if (this.wantDrain && this.queued < windowBytes) {
      this.wantDrain = false;
      this.onDrain();
    }
  }
}

type ToClient =
  | { kind: "headers"; headers: Http2Headers; end: boolean; bytes?: undefined }
  | { kind: "data"; data: Uint8Array; bytes: number }
  | { kind: "trailers"; headers: Http2Headers; bytes?: undefined }
  | { kind: "close"; rst: number | undefined; error?: Error; bytes?: undefined };

type ToServer =
  | { kind: "data"; data: Uint8Array; bytes: number }
  | { kind: "end"; bytes?: undefined }
  | { kind: "close"; rst: number | undefined; error?: Error; bytes?: undefined };

class MemStream implements ClientTransportStream, ServerTransportStream {
  readonly toClient: Half<ToClient>;
  readonly toServer: Half<ToServer>;
  private serverListener: ServerStreamListener | undefined;
  private clientDone = false;
  private serverDone = false;
  private closed = false;
  private headersSent = false;

  constructor(
    private readonly conn: MemConnection,
    readonly headers: Http2Headers,
    private readonly clientListener: ClientStreamListener,
  ) {
    this.toClient = new Half<ToClient>(() => this.serverListener?.onDrain());
    this.toServer = new Half<ToServer>(() => clientListener.onDrain());
    this.toClient.attach((e) => {
      switch (e.kind) {
        case "headers":
          clientListener.onHeaders(e.headers, e.end);
          break;
        case "data":
          clientListener.onData(e.data);
          break;
        case "trailers":
          clientListener.onTrailers(e.headers);
          break;
        case "close":
          clientListener.onClose(e.rst, e.error);
          break;
      }
    });
  }

  get serverConnection(): ServerConnection {
    return this.conn.serverSide;
  }

  get peer(): Peer {
    return this.conn.serverSidePeer;
  }

  // The client's side (the server's is ServerView).

  write(data: Uint8Array): boolean {
    if (this.closed) return true;
    return this.toServer.push({ kind: "data", data, bytes: data.byteLength });
  }

  end(data?: Uint8Array): void {
    if (data !== undefined) this.write(data);
    if (this.closed || this.clientDone) return;
    this.clientDone = true;
    this.toServer.push({ kind: "end" });
  }

  reset(code: number = Http2ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.finish(code);
  }

  pause(): void {
    this.toClient.pause();
  }

  resume(): void {
    this.toClient.resume();
  }

  /** DATA from the server; dropped once the stream is over. */
  serverWrite(data: Uint8Array): boolean {
    if (this.closed) return true;
    return this.toClient.push({ kind: "data", data, bytes: data.byteLength });
  }

  setListener(listener: ServerStreamListener): void {
    this.serverListener = listener;
    this.toServer.attach((e) => {
      switch (e.kind) {
        case "data":
          listener.onData(e.data);
          break;
        case "end":
          listener.onEnd();
          break;
        case "close":
          listener.onClose(e.rst, e.error);
          break;
      }
    });
  }

  sendHeaders(headers: Http2Headers, endStream: boolean): void {
    if (this.closed || this.headersSent) return;
    this.headersSent = true;
    this.toClient.push({ kind: "headers", headers, end: endStream });
    if (endStream) this.serverEnded();
  }

  sendTrailers(trailers: Http2Headers): void {
    if (this.closed || this.serverDone) return;
    this.toClient.push({ kind: "trailers", headers: trailers });
    this.serverEnded();
  }

  private serverEnded(): void {
    this.serverDone = true;
    // Like HTTP/2: once the server has ended its side, the stream is over for both.
    this.closed = true;
    this.toClient.push({ kind: "close", rst: undefined });
    this.toServer.abort({ kind: "close", rst: undefined });
    this.conn.streamEnded(this);
  }

  /** Resets from either side, or from the connection going away. */
  finish(rst: number, error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.toClient.abort({ kind: "close", rst, error });
    this.toServer.abort({ kind: "close", rst, error });
    this.conn.streamEnded(this);
  }
}

/** One connection: the client holds MemStreams, the server a ServerView of each. */
class MemConnection implements ClientTransport {
  readonly streams = new Set<MemStream>();
  private goingAway = false;
  private closedFlag = false;
  readonly serverSidePeer: Peer;
  /** The connection as the server sees it. */
  readonly serverSide: ServerConnection;

  constructor(
    readonly peer: Peer,
    clientName: string,
    private readonly client: ClientTransportOptions,
    private readonly server: ServerTransportOptions,
    private readonly onGone: (c: MemConnection) => void,
  ) {
    this.serverSidePeer = { address: clientName, authInfo: { type: "inmemory", securityLevel: "none" } };
    this.serverSide = { peer: this.serverSidePeer, localAddress: peer.address };
    server.onConnection?.(this.serverSide);
  }

  get localAddress(): string {
    return this.serverSidePeer.address;
  }

  openStream(headers: Http2Headers, listener: ClientStreamListener): ClientTransportStream {
    if (this.goingAway || this.closedFlag) throw new Error("in-memory connection is closed");
    const s = new MemStream(this, headers, listener);
    this.streams.add(s);
    const serverView = new ServerView(s);
    queueMicrotask(() => {
      if (!this.closedFlag) this.server.onStream(serverView);
    });
    return s;
  }

  streamEnded(s: MemStream): void {
    this.streams.delete(s);
    if (this.goingAway && this.streams.size === 0) this.shut();
  }

  /** Server-side drain: GOAWAY, then close once streams finish. */
  goaway(): void {
    if (this.goingAway) return;
    this.goingAway = true;
    queueMicrotask(() => this.client.onGoaway(Http2ErrorCode.NO_ERROR));
    if (this.streams.size === 0) this.shut();
  }

  private shut(error?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const s of [...this.streams]) s.finish(Http2ErrorCode.CANCEL, error ?? new Error("in-memory connection closed"));
    this.streams.clear();
    this.onGone(this);
    this.server.onConnectionClose?.(this.serverSide);
    queueMicrotask(() => this.client.onClose(error));
  }

  close(): void {
    this.goingAway = true;
    if (this.streams.size === 0) this.shut();
  }

  destroy(): void {
    this.shut(new Error("in-memory connection destroyed"));
  }

  ping(): Promise<number> {
    return Promise.resolve(0);
  }
}

/** The server's handle on a stream: reads what the client wrote, writes toward the client. */
class ServerView implements ServerTransportStream {
  constructor(private readonly s: MemStream) {}
  get headers(): Http2Headers {
    return this.s.headers;
  }
  get peer(): Peer {
    return this.s.peer;
  }
  get connection(): ServerConnection {
    return this.s.serverConnection;
  }
  setListener(l: ServerStreamListener): void {
    this.s.setListener(l);
  }
  sendHeaders(h: Http2Headers, endStream: boolean): void {
    this.s.sendHeaders(h, endStream);
  }
  write(data: Uint8Array): boolean {
    return this.s.serverWrite(data);
  }
  sendTrailers(t: Http2Headers): void {
    this.s.sendTrailers(t);
  }
  reset(code: number = Http2ErrorCode.CANCEL): void {
    this.s.reset(code);
  }
  pause(): void {
    this.s.toServer.pause();
  }
  resume(): void {
    this.s.toServer.resume();
  }
}

interface MemListener {
  options: ServerTransportOptions;
  connections: Set<MemConnection>;
  drainWaiters: (() => void)[];
  draining: boolean;
}

/** Creates an in-memory transport; servers and channels that share it find each other by name. */
export function createInMemoryTransport(): TransportBuilder {
  const listeners = new Map<string, MemListener>();
  let nextConn = 1;
  return {
    name: "inmemory",
    async connect(address, options) {
      const l = listeners.get(address);
      if (l === undefined || l.draining) throw new Error(`no in-memory server is listening on "${address}"`);
      if (options.credentials.secure) throw new Error("the in-memory transport carries no TLS: use insecure credentials");
      const clientName = `inmemory:${address}#${nextConn++}`;
      const conn: MemConnection = new MemConnection(
        { address: `inmemory:${address}`, authInfo: { type: "inmemory", securityLevel: "none" } },
        clientName,
        options,
        l.options,
        (c) => {
          l.connections.delete(c);
          if (l.draining && l.connections.size === 0) {
            const w = l.drainWaiters;
            l.drainWaiters = [];
            for (const f of w) f();
          }
        },
      );
      l.connections.add(conn);
      return conn;
    },
    async listen(address, options): Promise<TransportListener> {
      if (listeners.has(address)) throw new Error(`an in-memory server is already listening on "${address}"`);
      const l: MemListener = { options, connections: new Set(), drainWaiters: [], draining: false };
      listeners.set(address, l);
      return {
        address,
        drain() {
          l.draining = true;
          listeners.delete(address);
          if (l.connections.size === 0) return Promise.resolve();
          const done = new Promise<void>((r) => l.drainWaiters.push(r));
          for (const c of [...l.connections]) c.goaway();
          return done;
        },
        close() {
          l.draining = true;
          listeners.delete(address);
          for (const c of [...l.connections]) c.destroy();
        },
      };
    },
  };
}
