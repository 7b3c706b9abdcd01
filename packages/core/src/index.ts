/**
 * @grpckit/core: gRPC for TypeScript on Node.js. Calls, channels, servers, and the
 * registries that transports, resolvers, balancers, credentials, codecs and
 * compressors plug into.
 */

// Status and errors
export { Code } from "./code.js";
export { GrpcError, codeName, codeFromNumber, type GrpcErrorOptions } from "./grpc-error.js";
export { Metadata, type MetadataValue, type MetadataInit } from "./metadata.js";

// Client
export { createChannel, Channel, type ChannelOptions } from "./channel.js";
export { createClient, type Client } from "./client.js";
export type { ClientConnection, CallHost, PickOwner } from "./client-call.js";
export type { CallOptions } from "./call-options.js";
export {
  applyInterceptors,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
  type StreamRequest,
  type StreamResponse,
  type UnaryFn,
  type StreamFn,
  type AnyFn,
} from "./interceptor.js";
export { ConnectivityState, aggregateConnectivityState } from "./connectivity-state.js";

// Server
export { createServer, Server, type ServerOptions, type ServiceImpl } from "./server.js";
export type { HandlerContext } from "./handler-context.js";
export type {
  ServerInterceptor,
  ServerHandlerFn,
  ServerUnaryRequest,
  ServerStreamRequest,
  ServerUnaryResponse,
  ServerStreamResponse,
} from "./server-interceptor.js";

// Messages on the wire
export { sendUncompressed, wasCompressed } from "./message-marks.js";
export { protoCodec, jsonCodec, createJsonCodec, type Codec, type JsonCodecOptions } from "./codec.js";
export { identityCompressor, gzipCompressor, deflateCompressor, type Compressor } from "./compression.js";

// Plug-in seams and registries
export * from "./transport.js";
export { formatBoundAddress, formatHostPort, formatUnixPath, parseTransportAddress, type NetAddress } from "./transport-address.js";
// Keepalive (gRFC A8) and connection management (A9), shared by every transport.
export {
  keepaliveLimits,
  maxTimerMs,
  resolveClientKeepalive,
  resolveEnforcement,
  resolveServerKeepalive,
  withJitter,
  type ClientKeepalive,
  type ClientKeepaliveOptions,
  type KeepaliveEnforcement,
  type KeepaliveEnforcementOptions,
  type KeepaliveLimits,
  type ServerKeepalive,
  type ServerKeepaliveOptions,
} from "./keepalive-options.js";
export { KeepalivePinger, type KeepalivePingerOptions, type KeepaliveTarget } from "./keepalive-pinger.js";
export { PingEnforcement, tooManyPings } from "./ping-enforcement.js";
export { ServerKeepaliveManager, type ConnectionManagement, type ManagedConnection } from "./server-keepalive.js";
export * from "./credentials.js";
export { bearerToken, combineCallCredentials, type CallCredentials, type CallCredentialsContext } from "./call-credentials.js";
export type { Address, Endpoint, Resolver, ResolverBuilder, ResolverBuildOptions, ResolverClientConn, ResolverState } from "./resolver.js";
export type {
  Balancer,
  BalancerBuilder,
  BalancerClientConn,
  BalancerState,
  ClientConnState,
  Picker,
  PickInfo,
  PickResult,
  PickDoneInfo,
  Subchannel,
  SubchannelCreateOptions,
} from "./balancer.js";
export { registerHealthChecker, type HealthChecker, type HealthCheckContext } from "./health-check.js";
export { constantPicker } from "./balancer.js";
export { pickFirstBalancer, type PickFirstConfig } from "./pick-first.js";
export {
  parseServiceConfig,
  type ServiceConfig,
  type ParsedServiceConfig,
  type LoadBalancingConfig,
  type BalancerConfigMap,
  type MethodConfigJson,
} from "./service-config.js";
export type { MethodConfig, RetryPolicy, HedgingPolicy, RetryThrottling } from "./method-config.js";
export { Registry, parseBuilderConfig, type Named, type ConfigurableBuilder, type BuilderConfig } from "./registry.js";
export {
  registerResolver,
  registerBalancer,
  registerTransport,
  registerCodec,
  registerCompressor,
  resolverRegistry,
  balancerRegistry,
  transportRegistry,
  codecRegistry,
  compressorRegistry,
} from "./registries.js";
export { parseTarget, type Target } from "./target.js";
export { Backoff, type BackoffOptions } from "./backoff.js";
export { createInMemoryTransport } from "./in-memory-transport.js";
export { createManualResolver, type ManualResolver } from "./manual-resolver.js";
export { ipv4Resolver, ipv6Resolver } from "./address-list-resolver.js";

// Channelz records, served by @grpckit/channelz
export {
  enableChannelz,
  channelzRegistry,
  channelzMaxTraceEvents,
  channelzDefaultPageSize,
  ChannelzRegistry,
  ChannelzChannel,
  ChannelzSubchannel,
  ChannelzServer,
  ChannelzSocket,
  ChannelzListenSocket,
  ChannelzTrace,
  ChannelzCallCounts,
  type ChannelzRef,
  type ChannelzEntityKind,
  type ChannelzSeverity,
  type ChannelzTraceEvent,
  type ChannelzPage,
  type ChannelzConnection,
} from "./channelz.js";

// Logs and traces (GRPC_VERBOSITY, GRPC_TRACE)
export {
  LogVerbosity,
  setLogger,
  getLogger,
  setLogVerbosity,
  setTracers,
  isTracerEnabled,
  log,
  trace,
  knownTracers,
  type Logger,
} from "./logging.js";

// The stats hook (grpc-go's stats.Handler), used by @grpckit/opentelemetry
export type { StatsHandler, CallStats, CallStatsInfo, CallEndInfo } from "./stats.js";

// The socket paths every socket transport shares: binding, accepting and handshaking
// server sockets, and connecting and handshaking client sockets.
export { listenOn } from "./transport/listen-on.js";
export { ServerSocketAcceptor, type SecuredSocket } from "./transport/server-socket-acceptor.js";
export { dialTransport, type DialedSocket, type StartConnection } from "./transport/dial-transport.js";
export type { NetSocket, NetSocketServer, ListenTarget, DialTarget } from "./transport/socket-types.js";
