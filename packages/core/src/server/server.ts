/**
 * A gRPC server: services are added from @bufbuild/protobuf descriptors with typed
 * handlers, and each HTTP/2 stream a transport hands over becomes a call.
 */
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { channelzRegistry, type ChannelzServer } from "../channelz/channelz.js";
import { Code } from "../status/code.js";
import { contentTypeCodecName, type Codec } from "../wire/codec.js";
import { GrpcWebServerStream, grpcWebContentType } from "./grpc-web-stream.js";
import { openConnectRequest } from "./connect-request.js";
import { CorsPolicy, type CorsOptions } from "./cors.js";
import type { Compressor } from "../wire/compression.js";
import { insecureCredentials, type ServerCredentials } from "../credentials/credentials.js";
import { GrpcError } from "../status/grpc-error.js";
import { InflateBudget, connectionInflateBytes, sharedInflateBytes } from "../call/inflate-budget.js";
import { trace } from "../observability/logging.js";
import { startConnectionStats, type StatsHandler } from "../observability/stats.js";
import { parseTimeout } from "../wire/grpc-timeout.js";
import type { HandlerContext } from "./handler-context.js";
import { H, contentTypeFor, firstHeader, writeStatus } from "../wire/protocol.js";
import { codecRegistry, compressorsWith, resolveTransport } from "../registries.js";
import type { Registry } from "../registry/registry.js";
import { ServerCall, type RegisteredMethod, type ServerCallHost } from "./server-call.js";
import { RunningCalls } from "./running-calls.js";
import { runTaps, type ServerTap } from "./server-tap.js";
import { headersToMetadata } from "../wire/metadata-headers.js";
import type { Metadata } from "../metadata/metadata.js";
import type { ServerHandlerFn, ServerInterceptor } from "./server-interceptor.js";
import type { Http2Headers, Http2Settings, ServerConnection, ServerTransportStream, TransportBuilder, TransportListener } from "../transport/transport.js";

type Awaitable<T> = T | Promise<T>;

type HandlerFor<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? (request: MessageShape<I>, context: HandlerContext) => Awaitable<MessageInitShape<O>>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? (request: MessageShape<I>, context: HandlerContext) => AsyncIterable<MessageInitShape<O>>
    : M extends { methodKind: "client_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? (requests: AsyncIterable<MessageShape<I>>, context: HandlerContext) => Awaitable<MessageInitShape<O>>
      : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
        ? (requests: AsyncIterable<MessageShape<I>>, context: HandlerContext) => AsyncIterable<MessageInitShape<O>>
        : never;

/** Handlers for service `S`, keyed by the methods' lowerCamelCase names. A missing one answers UNIMPLEMENTED. */
export type ServiceImpl<S extends DescService> = { [K in keyof S["method"]]?: HandlerFor<S["method"][K]> };

export interface ServerOptions {
  /** The transport: a builder (`h2Transport()`), a registered name, or the first registered. */
  transport?: TransportBuilder | string;
  /** Transport credentials; insecure (plaintext h2c) by default. */
  credentials?: ServerCredentials;
  /** Server interceptors around every handler, outermost first. */
  interceptors?: ServerInterceptor[];
  /** Largest request message accepted, in bytes. Default 4 MiB. */
  maxReceiveMessageBytes?: number;
  /** Largest response message sent, in bytes. Default unlimited. */
  maxSendMessageBytes?: number;
  /** HTTP/2 settings for accepted connections. */
  settings?: Http2Settings;
  /** Compressors for this server, in addition to the process-wide ones. */
  compressors?: Compressor[];
  /** Told about every call (its headers, messages, trailers and end) and every connection. */
  statsHandlers?: StatsHandler[];
  /**
   * Checks run in order when a stream's headers arrive, before the call is set up; the
   * first that throws refuses the call with a trailers-only status (see {@link ServerTap}).
   */
  taps?: ServerTap[];
  /**
   * Answer gRPC-Web requests (application/grpc-web, application/grpc-web-text) as well
   * as gRPC ones, on the same address. Default true; false answers them 415 as any
   * other content type.
   */
  grpcWeb?: boolean;
  /**
   * Answer Connect protocol requests (application/proto, application/json, their
   * application/connect+ streaming forms, and GET for methods with idempotency_level =
   * NO_SIDE_EFFECTS) as well as gRPC ones, on the same address. Default true; false
   * answers them 415 as any other content type.
   */
  connect?: boolean;
  /**
   * Cross-origin calls from browser pages: the origins allowed, and the extra headers a
   * page may send and read (see {@link CorsOptions}). Without it no CORS header is sent
   * and preflights are refused, so only same-origin pages can call.
   */
  cors?: CorsOptions;
}

export class Server implements ServerCallHost {
  readonly compressors: Registry<Compressor>;
  readonly acceptEncoding: string;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly intercept: ((final: ServerHandlerFn) => ServerHandlerFn) | undefined;
  readonly statsHandlers: readonly StatsHandler[] | undefined;
  private readonly taps: readonly ServerTap[] | undefined;
  private readonly grpcWeb: boolean;
  private readonly connect: boolean;
  private readonly cors: CorsPolicy | undefined;
  /** This server's channelz record, when channelz was enabled by the time it was created or started listening. */
  channelz: ChannelzServer | undefined;

  private readonly methods = new Map<string, RegisteredMethod>();
  private readonly serviceMap = new Map<string, DescService>();
  private readonly listeners: TransportListener[] = [];
  private readonly calls = new RunningCalls<ServerCall>();
  private readonly transport: TransportBuilder;
  private readonly credentials: ServerCredentials;
  private shuttingDown = false;
  private idleWaiters: (() => void)[] = [];
  /** Bytes being inflated for all connections, and for each (gzip bombs cost a bounded amount). */
  private readonly inflateBudget = new InflateBudget(sharedInflateBytes);
  private readonly connectionInflateBudgets = new WeakMap<ServerConnection, InflateBudget>();

  constructor(private readonly options: ServerOptions = {}) {
    this.transport = resolveTransport(options.transport);
    this.credentials = options.credentials ?? insecureCredentials();
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? 4 * 1024 * 1024;
    this.maxSendMessageBytes = options.maxSendMessageBytes ?? Number.MAX_SAFE_INTEGER;
    this.compressors = compressorsWith(options.compressors);
    this.acceptEncoding = this.compressors.names().join(",");
    this.channelz = channelzRegistry()?.addServer();
    this.statsHandlers = options.statsHandlers !== undefined && options.statsHandlers.length > 0 ? options.statsHandlers : undefined;
    this.taps = options.taps !== undefined && options.taps.length > 0 ? [...options.taps] : undefined;
    this.grpcWeb = options.grpcWeb ?? true;
    this.connect = options.connect ?? true;
    this.cors = options.cors === undefined ? undefined : new CorsPolicy(options.cors);
    const interceptors = options.interceptors ?? [];
    this.intercept =
      interceptors.length === 0
        ? undefined
        : (final) => {
            let fn = final;
            for (let i = interceptors.length - 1; i >= 0; i--) fn = interceptors[i](fn);
            return fn;
          };
  }

  /** Adds a service. Throws when it was added already. */
  addService<S extends DescService>(service: S, impl: ServiceImpl<S>): this {
    if (this.serviceMap.has(service.typeName)) throw new Error(`service ${service.typeName} was added twice`);
    for (const key of Object.keys(impl)) {
      if (!service.methods.some((m) => m.localName === key)) {
        throw new Error(`${service.typeName} has no method "${key}" (methods: ${service.methods.map((m) => m.localName).join(", ")})`);
      }
    }
    this.serviceMap.set(service.typeName, service);
    for (const method of service.methods) {
      const handler = (impl as Record<string, RegisteredMethod["handler"] | undefined>)[method.localName];
      if (handler === undefined) continue;
      const path = `/${service.typeName}/${method.name}`;
      this.methods.set(path, { method, path, kind: method.methodKind, handler: handler.bind(impl) });
    }
    return this;
  }

  /** The fully-qualified names of the services added. */
  get serviceNames(): string[] {
    return [...this.serviceMap.keys()];
  }

  /** The descriptors of the services added, in the order added (reflection serves their files). */
  get services(): DescService[] {
    return [...this.serviceMap.values()];
  }

  /**
   * Starts listening on `address` ("127.0.0.1:0", "[::]:50051", "unix:/tmp/s").
   * Resolves with the bound address, with the real port when 0 was asked.
   */
  async listen(address: string): Promise<{ address: string; port: number | undefined }> {
    if (this.shuttingDown) throw new Error("server is shut down");
    const registry = channelzRegistry();
    // A server made before channelz was enabled is recorded once it listens.
    this.channelz ??= registry?.addServer();
    const cz = this.channelz;
    const czRegistry = cz !== undefined ? registry : undefined;
    const stats = this.statsHandlers?.some((h) => h.handleConnection !== undefined) === true ? this.statsHandlers : undefined;
    const connectionEnds = stats === undefined ? undefined : new WeakMap<ServerConnection, () => void>();
    const listener = await this.transport.listen(address, {
      credentials: this.credentials,
      settings: this.options.settings,
      onStream: (s) => this.handleStream(s),
      ...(czRegistry !== undefined || connectionEnds !== undefined
        ? {
            onConnection: (c: ServerConnection) => {
              if (czRegistry !== undefined) czRegistry.socketOf.set(c, czRegistry.addSocket(cz!, c));
              const end = connectionEnds && startConnectionStats(stats, { side: "server", peer: c.peer.address, localAddress: c.localAddress });
              if (end !== undefined) connectionEnds!.set(c, end);
            },
            onConnectionClose: (c: ServerConnection) => {
              const socket = czRegistry?.socketOf.get(c);
              if (socket !== undefined) czRegistry!.removeSocket(socket);
              connectionEnds?.get(c)?.();
            },
          }
        : {}),
    });
    this.listeners.push(listener);
    trace("server", `listening on ${listener.address}`);
    if (cz !== undefined) {
      registry?.addListenSocket(cz, listener.address);
      cz.trace.add("INFO", `Listening on ${listener.address}`);
    }
    const m = /:(\d+)$/.exec(listener.address);
    return { address: listener.address, port: m ? Number(m[1]) : undefined };
  }

  /** The port of the first listener, once listening. */
  get port(): number | undefined {
    const a = this.listeners[0]?.address;
    const m = a === undefined ? null : /:(\d+)$/.exec(a);
    return m ? Number(m[1]) : undefined;
  }

  /** Graceful: stop accepting, send GOAWAY, let running calls finish. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(this.listeners.map((l) => l.drain()));
    if (this.calls.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    this.forgetChannelz();
  }

  /**
   * Closes every connection now and cancels every running handler. Clients see their
   * connection lost (UNAVAILABLE), as with grpc-go's Stop, not a cancellation.
   */
  forceShutdown(): void {
    this.shuttingDown = true;
    for (const l of this.listeners) l.close();
    const err = new GrpcError(Code.UNAVAILABLE, "server is shutting down");
    for (const c of this.calls.toArray()) c.cancel(err);
    this.forgetChannelz();
  }

  private forgetChannelz(): void {
    if (this.channelz !== undefined) channelzRegistry()?.removeServer(this.channelz);
  }

  /** @internal a call reports its end (ServerCallHost). */
  callEnded(call: ServerCall): void {
    this.calls.delete(call);
    if (this.calls.size === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** The method registered at a path (Connect checks GET and content types against it). */
  private readonly methodAt = (path: string): DescMethod | undefined => this.methods.get(path)?.method;

  /** The budgets a compressed request on `connection` is inflated within. */
  private inflateBudgetsFor(connection: ServerConnection | undefined): InflateBudget[] {
    if (connection === undefined) return [this.inflateBudget];
    let budget = this.connectionInflateBudgets.get(connection);
    if (budget === undefined) {
      budget = new InflateBudget(connectionInflateBytes);
      this.connectionInflateBudgets.set(connection, budget);
    }
    return [budget, this.inflateBudget];
  }

  private handleStream(stream: ServerTransportStream): void {
    try {
      this.dispatch(stream);
    } catch (e) {
      // Nothing a peer sends may escape: answer this one stream with a status.
      reject(stream, "application/grpc", GrpcError.from(e, Code.INTERNAL));
    }
  }

  private dispatch(stream: ServerTransportStream): void {
    let headers = stream.headers;
    if (this.cors !== undefined) {
      // A preflight is the browser's question, not a call: answered before anything else.
      if (this.cors.answerPreflight(stream, firstHeader(headers, H.method))) return;
      stream = this.cors.wrap(stream);
    }
    const contentType = firstHeader(headers, H.contentType) ?? "";
    let codecName = contentTypeCodecName(contentType);
    // Responses carry the request's own content type: gRPC's, gRPC-Web's or Connect's.
    let ct: string | undefined;
    let codec: Codec | undefined;
    if (codecName === undefined) {
      const web = this.grpcWeb ? grpcWebContentType(contentType) : undefined;
      if (web !== undefined) {
        stream = new GrpcWebServerStream(stream, web.text);
        codecName = web.codecName;
        ct = web.responseType;
      } else if (this.connect) {
        const connect = openConnectRequest(stream, contentType, this.methodAt, this.maxReceiveMessageBytes);
        if (connect === null) return;
        if (connect !== undefined) {
          if (connect.error !== undefined) return reject(connect.stream, connect.contentType, connect.error);
          ({ stream, codec, codecName, contentType: ct } = connect);
          headers = stream.headers;
        }
      }
    } else if (stream.httpVersion === "1.1") {
      // gRPC's trailers need HTTP/2; over HTTP/1.1 only the web protocols are answered.
      refuseHttp(stream, 505, Code.UNIMPLEMENTED, "gRPC needs HTTP/2; this request came over HTTP/1.1 (browsers can use gRPC-Web or Connect on the same address)");
      return;
    }
    if (codecName === undefined) {
      refuseHttp(stream, 415, Code.INTERNAL, `invalid gRPC request content-type "${contentType}"`);
      return;
    }
    codec ??= codecRegistry.get(codecName);
    ct ??= contentTypeFor(codecName);
    if (codec === undefined) {
      reject(stream, ct, new GrpcError(Code.UNIMPLEMENTED, `no codec registered for content-type "${contentType}"`));
      return;
    }
    if (firstHeader(headers, H.method) !== "POST") {
      reject(stream, ct, new GrpcError(Code.UNIMPLEMENTED, `method ${firstHeader(headers, H.method)} is not allowed; gRPC uses POST`));
      return;
    }
    const path = firstHeader(headers, H.path) ?? "";
    // Taps see every call, known method or not, before anything is spent on it.
    let metadata: Metadata | undefined;
    if (this.taps !== undefined) {
      metadata = headersToMetadata(headers);
      const refusal = runTaps(this.taps, { path, metadata, peer: stream.peer });
      if (refusal !== undefined) {
        reject(stream, ct, refusal);
        return;
      }
    }
    const registered = this.methods.get(path);
    if (registered === undefined) {
      reject(stream, ct, unimplemented(path, this.serviceMap));
      return;
    }
    if (this.shuttingDown) {
      reject(stream, ct, new GrpcError(Code.UNAVAILABLE, "server is shutting down"));
      return;
    }
    let deadline: number | undefined;
    const timeout = firstHeader(headers, H.timeout);
    if (timeout !== undefined) {
      const ms = parseTimeout(timeout);
      if (ms === undefined) {
        reject(stream, ct, new GrpcError(Code.INTERNAL, `malformed grpc-timeout "${timeout}"`));
        return;
      }
      deadline = Date.now() + ms;
    }
    let requestCompressor: Compressor | undefined;
    const enc = firstHeader(headers, H.encoding);
    if (enc !== undefined && enc !== "identity") {
      requestCompressor = this.compressors.get(enc);
      if (requestCompressor === undefined) {
        reject(stream, ct, new GrpcError(Code.UNIMPLEMENTED, `grpc-encoding "${enc}" is not supported (supported: ${this.acceptEncoding})`), {
          [H.acceptEncoding]: this.acceptEncoding,
        });
        return;
      }
    }
    const budgets = requestCompressor === undefined ? undefined : this.inflateBudgetsFor(stream.connection);
    const call = new ServerCall(this, stream, registered, codec, ct, deadline, requestCompressor, budgets, metadata);
    this.calls.add(call);
    call.start();
  }
}

/**
 * Answers a request that is not gRPC (or not gRPC this server takes) with an HTTP
 * status, plain text, and a gRPC status for clients that read one.
 */
function refuseHttp(stream: ServerTransportStream, status: number, code: Code, message: string): void {
  stream.sendHeaders({ [H.status]: status, [H.contentType]: "text/plain", [H.grpcStatus]: String(code), [H.grpcMessage]: message }, true);
}

/** Answers a stream with a trailers-only status. */
function reject(stream: ServerTransportStream, contentType: string, error: GrpcError, extra?: Http2Headers): void {
  const h: Http2Headers = { [H.status]: 200, [H.contentType]: contentType, ...extra };
  // A refusing tap's error may carry trailing metadata for the client.
  writeStatus(h, error, error.metadata);
  stream.sendHeaders(h, true);
}

function unimplemented(path: string, services: ReadonlyMap<string, unknown>): GrpcError {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (m === null) return new GrpcError(Code.UNIMPLEMENTED, `malformed method path "${path}"`);
  if (!services.has(m[1])) return new GrpcError(Code.UNIMPLEMENTED, `unknown service ${m[1]}`);
  return new GrpcError(Code.UNIMPLEMENTED, `unknown method ${m[2]} for service ${m[1]}`);
}

/**
 * Creates a server.
 *
 * @example
 * const server = createServer({ transport: h2Transport() });
 * server.addService(GreeterService, { sayHello: (req) => ({ message: `Hello ${req.name}` }) });
 * await server.listen("127.0.0.1:50051");
 */
export function createServer(options?: ServerOptions): Server {
  return new Server(options);
}

export type { DescMethod };
