/**
 * The transport seam: what core asks of an HTTP/2 implementation. A transport moves
 * headers and raw DATA bytes for one stream; core owns everything gRPC (framing,
 * grpc-status, metadata, deadlines). transport-h2 implements this on grpckit's own
 * HTTP/2, transport-http2 on node:http2, the in-memory transport without sockets, and
 * other packages may add their own.
 */
import type { NetSocket } from "./socket-types.js";
import type { HttpConnectProxy } from "./http-connect-proxy.js";
import type { Duplex } from "node:stream";
import type { ChannelCredentials, ServerCredentials, AuthInfo } from "../credentials/credentials.js";
import type { Http2Headers } from "../wire/http2.js";

export { Http2ErrorCode, sharedHeaders, type Http2Headers } from "../wire/http2.js";

/** HTTP/2 settings a transport may be configured with; unset means the transport's default. */
export interface Http2Settings {
  /** SETTINGS_INITIAL_WINDOW_SIZE, the per-stream receive window. */
  initialWindowSize?: number;
  /** The connection-level receive window (raised with WINDOW_UPDATE on stream 0). */
  connectionWindowSize?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS (server side: streams a client may open). */
  maxConcurrentStreams?: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE. */
  maxHeaderListSize?: number;
  /** SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize?: number;
}

/** Who is on the other end of a connection. */
export interface Peer {
  /** "ip:port", "[ipv6]:port", a unix socket path, or a transport-specific name. */
  readonly address: string;
  /** Set by secure credentials; undefined on an insecure connection. */
  readonly authInfo?: AuthInfo;
}

/** A connection's HTTP/2 flow-control windows, for channelz. */
export interface FlowControlWindows {
  /** Bytes the peer may still send us on the connection. */
  readonly local?: number;
  /** Bytes we may still send the peer on the connection. */
  readonly remote?: number;
}

/** One accepted connection, as a server sees it. */
export interface ServerConnection {
  readonly peer: Peer;
  /** Our end's address ("127.0.0.1:50051"), when the transport knows it. */
  readonly localAddress?: string;
  /** The connection's current flow-control windows, when the transport can tell. */
  flowControl?(): FlowControlWindows | undefined;
  /** Keepalive PINGs sent on this connection so far (channelz's keep_alives_sent). */
  keepalivesSent?(): number;
}

/** Callbacks a client stream delivers to core, in order: headers, data*, trailers, close. */
export interface ClientStreamListener {
  /** Response headers. `endStream` true means a trailers-only response: no data or trailers follow. */
  onHeaders(headers: Http2Headers, endStream: boolean): void;
  /** A chunk of the DATA payload; message boundaries are not preserved. */
  onData(chunk: Uint8Array): void;
  /** Trailers (HEADERS with END_STREAM after the response headers). */
  onTrailers(trailers: Http2Headers): void;
  /** The transport can take more writes after `write` returned false. */
  onDrain(): void;
  /**
   * The stream is finished and will deliver nothing more. Called exactly once.
   * `rstCode` is the RST_STREAM code when the stream was reset (by either side),
   * undefined when it ended normally. `error` is set when the connection failed.
   */
  onClose(rstCode: number | undefined, error?: Error): void;
}

/** One client-side HTTP/2 stream. */
export interface ClientTransportStream {
  /** Queues DATA. Returns false when the caller should wait for `onDrain` before writing more. */
  write(data: Uint8Array): boolean;
  /** Half-closes the request side (END_STREAM), after `data` when given. */
  end(data?: Uint8Array): void;
  /** Resets the stream (default code CANCEL). */
  reset(code?: number): void;
  /** Stops / restarts reading, so the peer's flow-control window is not reopened. */
  pause(): void;
  resume(): void;
}

/** One client connection, owned by a subchannel. */
export interface ClientTransport {
  /** Opens a stream with the given request headers. Throws only when the connection is closed. */
  openStream(headers: Http2Headers, listener: ClientStreamListener): ClientTransportStream;
  /** The peer of this connection. */
  readonly peer: Peer;
  /** Our end's address, when the transport knows it. */
  readonly localAddress?: string;
  /** The connection's current flow-control windows, when the transport can tell. */
  flowControl?(): FlowControlWindows | undefined;
  /** Keepalive PINGs sent on this connection so far (channelz's keep_alives_sent). */
  keepalivesSent?(): number;
  /** Graceful close: no new streams, open ones finish, then the connection closes. */
  close(): void;
  /** Closes the connection now; open streams end with an error. */
  destroy(): void;
  /** Sends a PING and resolves with the round-trip time in milliseconds. */
  ping(): Promise<number>;
}

/**
 * Makes a connected socket for a transport address, instead of the transport's own
 * `net.connect` (grpc-go's WithContextDialer): a test counts connections or adds
 * latency, an application dials through a tunnel or an in-process pipe. `address` is a
 * transport address as the resolver gave it ("10.0.0.1:443", "[::1]:50051",
 * "unix:/path"), or the proxy's address when the channel tunnels through an HTTP
 * proxy. The promise resolves with a socket that is connected (a `net.Socket`,
 * a `tls.TLSSocket` is not wanted: the channel's credentials run their handshake on
 * it); `signal` aborts when the connect times out or is no longer wanted, and a socket
 * that arrives after that is destroyed.
 */
export type Dialer = (address: string, options: { readonly signal: AbortSignal }) => Promise<NetSocket>;

export interface ClientTransportOptions {
  /** The :authority of requests and the server name for secure credentials. */
  authority: string;
  credentials: ChannelCredentials;
  settings?: Http2Settings;
  /** Milliseconds to wait for the connection (and handshake) to be ready. */
  connectTimeoutMs?: number;
  /** Makes the connected socket instead of the transport's own connect (the channel's `dialer`). */
  dialer?: Dialer;
  /**
   * Tunnel through this HTTP proxy: the socket connects to the proxy (through `dialer`
   * when set) and CONNECT opens a tunnel to the address before the credentials' handshake.
   */
  proxy?: HttpConnectProxy;
  /** The server sent GOAWAY: no new streams should go to this transport. */
  onGoaway(errorCode: number): void;
  /** The connection is closed (after GOAWAY drain, error or destroy). Called once. */
  onClose(error?: Error): void;
}

/** Callbacks a server stream delivers to core. */
export interface ServerStreamListener {
  onData(chunk: Uint8Array): void;
  /** The client half-closed (END_STREAM). */
  onEnd(): void;
  onDrain(): void;
  /**
   * The stream is finished. `rstCode` is set when it was reset (client cancel, or the
   * connection went away, in which case `error` may be set too) before core ended it.
   */
  onClose(rstCode: number | undefined, error?: Error): void;
}

/** One server-side HTTP/2 stream, as handed to core for each request. */
export interface ServerTransportStream {
  /** The request headers, pseudo-headers included. */
  readonly headers: Http2Headers;
  /**
   * "1.1" when the request came over HTTP/1.1 (a browser's gRPC-Web call, parsed by
   * node:http); undefined or "2" for HTTP/2. gRPC itself needs HTTP/2.
   */
  readonly httpVersion?: "1.1" | "2";
  readonly peer: Peer;
  /** The connection the stream came on; the same object for every stream of it. */
  readonly connection?: ServerConnection;
  /** Sets the callbacks; data received before this is called is buffered. */
  setListener(listener: ServerStreamListener): void;
  /** Sends response headers; with `endStream` it is a trailers-only (or non-gRPC) response. */
  sendHeaders(headers: Http2Headers, endStream: boolean): void;
  /** Queues DATA. Returns false when the caller should wait for `onDrain`. */
  write(data: Uint8Array): boolean;
  /** Sends trailers, ending the stream. Response headers must have been sent. */
  sendTrailers(trailers: Http2Headers): void;
  /** Resets the stream (default code CANCEL). */
  reset(code?: number): void;
  pause(): void;
  resume(): void;
}

export interface ServerTransportOptions {
  credentials: ServerCredentials;
  settings?: Http2Settings;
  /** Called for each new stream. */
  onStream(stream: ServerTransportStream): void;
  /** A connection is ready for streams (after its handshake). */
  onConnection?(connection: ServerConnection): void;
  /** A connection reported by onConnection has closed. */
  onConnectionClose?(connection: ServerConnection): void;
}

/** A listening transport server. */
export interface TransportListener {
  /** The bound address, with the real port when 0 was asked: "127.0.0.1:50051", "[::1]:4000". */
  readonly address: string;
  /** Graceful: GOAWAY to every connection, stop accepting, resolve when every connection closed. */
  drain(): Promise<void>;
  /** Closes the listener and destroys every connection now; open streams are reset. */
  close(): void;
}

/**
 * A transport implementation, registered by name in core's transport registry.
 * Addresses are strings: "host:port", "[v6]:port", "unix:/path", "unix-abstract:name",
 * or a transport-specific form (the in-memory transport uses plain names).
 */
export interface TransportBuilder {
  readonly name: string;
  connect(address: string, options: ClientTransportOptions): Promise<ClientTransport>;
  listen(address: string, options: ServerTransportOptions): Promise<TransportListener>;
}

export type { Duplex };
