/**
 * @grpckit/core: gRPC for TypeScript on Node.js. Calls, channels, servers, and the
 * registries that transports, resolvers, balancers, credentials, codecs and
 * compressors plug into.
 */

// Status: the codes, and GrpcError, the one error a call ends with
export { Code } from "./status/code.js";
export { GrpcError, codeName, codeFromNumber, type GrpcErrorOptions } from "./status/grpc-error.js";

// Metadata: a call's custom headers and trailers
export { Metadata, type MetadataValue, type MetadataInit, type ReadonlyMetadata } from "./metadata/metadata.js";

// Client: channels, typed clients, call options, interceptors and the health-check seam
export { createChannel, Channel, type ChannelOptions } from "./client/channel.js";
export { createClient, type Client } from "./client/client.js";
export type { ClientConnection, CallHost, PickOwner } from "./client/client-call.js";
export type { CallOptions } from "./client/call-options.js";
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
} from "./client/interceptor.js";
export { registerHealthChecker, type HealthChecker, type HealthCheckContext } from "./client/health-check.js";
export { getOrBuildProducer, type ProducerBuilder, type ProducerContext, type ProducerHandle } from "./client/producer.js";

// Server: servers, the handler's context and server interceptors
export { createServer, Server, type ServerOptions, type ServiceImpl } from "./server/server.js";
export type { HandlerContext } from "./server/handler-context.js";
export type { ServerTap, TapInfo } from "./server/server-tap.js";
export type { CorsOptions } from "./server/cors.js";
export type {
  ServerInterceptor,
  ServerHandlerFn,
  ServerUnaryRequest,
  ServerStreamRequest,
  ServerUnaryResponse,
  ServerStreamResponse,
} from "./server/server-interceptor.js";

// Messages on the wire: codecs, compressors and per-message compression marks
export { sendUncompressed, wasCompressed } from "./call/message-marks.js";
export { protoCodec, jsonCodec, createJsonCodec, type Codec, type JsonCodecOptions } from "./wire/codec.js";
export { identityCompressor, gzipCompressor, deflateCompressor, type Compressor } from "./wire/compression.js";

// Transports: the seam every transport implements, addresses, and the keepalive (gRFC A8)
// and connection management (A9) every transport shares
export * from "./transport/transport.js";
export { formatBoundAddress, formatHostPort, formatUnixPath, parseTransportAddress, type NetAddress } from "./transport/transport-address.js";
export {
  keepaliveLimits,
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
} from "./transport/keepalive-options.js";
export { maxTimerMs } from "./timers/long-timer.js";
export { KeepalivePinger, type KeepalivePingerOptions, type KeepaliveTarget } from "./transport/keepalive-pinger.js";
export { PingEnforcement, tooManyPings } from "./transport/ping-enforcement.js";
export { ServerKeepaliveManager, type ConnectionManagement, type ManagedConnection } from "./transport/server-keepalive.js";
export { createInMemoryTransport } from "./transport/in-memory-transport.js";
// The socket paths every socket transport shares: binding, accepting and handshaking
// server sockets, and connecting and handshaking client sockets.
export { listenOn } from "./transport/listen-on.js";
export { ServerSocketAcceptor, type SecuredSocket } from "./transport/server-socket-acceptor.js";
export { Http1ServerStream } from "./transport/http1-server-stream.js";
export { dialTransport, type DialedSocket, type StartConnection } from "./transport/dial-transport.js";
export type { HttpConnectProxy } from "./transport/http-connect-proxy.js";
export type { NetSocket, NetSocketServer, ListenTarget, DialTarget } from "./transport/socket-types.js";

// Credentials: the channel and server handshake, and per-call credentials
export * from "./credentials/credentials.js";
export { localCredentials, isLoopbackAddress, type LocalAuthInfo } from "./credentials/local-credentials.js";
export { bearerToken, combineCallCredentials, type CallCredentials, type CallCredentialsContext } from "./credentials/call-credentials.js";

// Name resolution: targets, the resolver seam and the built-in resolvers
export { parseTarget, type Target } from "./resolver/target.js";
export type { Address, Endpoint, Resolver, ResolverBuilder, ResolverBuildOptions, ResolverClientConn, ResolverState } from "./resolver/resolver.js";
export { createManualResolver, type ManualResolver } from "./resolver/manual-resolver.js";
export { ipv4Resolver, ipv6Resolver } from "./resolver/address-list-resolver.js";

// Load balancing: the balancer seam, connectivity states and the built-in pick_first
export type {
  Balancer,
  BalancerBuilder,
  BalancerBuildOptions,
  BalancerClientConn,
  BalancerState,
  ClientConnState,
  Picker,
  PickInfo,
  PickResult,
  PickDoneInfo,
  Subchannel,
  SubchannelCreateOptions,
} from "./balancer/balancer.js";
export { constantPicker } from "./balancer/balancer.js";
/** The ORCA load report of PickDoneInfo.loadReport; its schema and the out-of-band listener are in `@grpckit/core/orca`. */
export type { OrcaLoadReport } from "./gen/xds/data/orca/v3/orca_load_report_pb.js";
export { GracefulSwitchBalancer } from "./balancer/graceful-switch.js";
export {
  EndpointShardingBalancer,
  aggregateChildStates,
  type EndpointShardingOptions,
  type EndpointChildState,
} from "./balancer/endpoint-sharding.js";
export { SubchannelWrapper, innermostSubchannel } from "./balancer/subchannel-wrapper.js";
export { ConnectivityState, aggregateConnectivityState } from "./balancer/connectivity-state.js";
export { pickFirstBalancer, type PickFirstConfig } from "./balancer/pick-first.js";

// Service config: balancer choice, methodConfig, retries and hedging
export {
  parseServiceConfig,
  type ServiceConfig,
  type ParsedServiceConfig,
  type LoadBalancingConfig,
  type BalancerConfigMap,
  type BalancerPolicyName,
  type MethodConfigJson,
  type ChosenBalancer,
} from "./config/service-config.js";
export type { MethodConfig, RetryPolicy, HedgingPolicy, RetryThrottling, CallAttemptLimits } from "./config/method-config.js";

// Registries: one Registry for every plug-in kind, and the process-wide instances
export { Registry, parseBuilderConfig, type Named, type ConfigurableBuilder, type BuilderConfig } from "./registry/registry.js";
export { coreVersion } from "./registry/process-state.js";
export {
  registerResolver,
  registerBalancer,
  parseLoadBalancingConfig,
  registerTransport,
  registerCodec,
  registerCompressor,
  resolverRegistry,
  balancerRegistry,
  transportRegistry,
  codecRegistry,
  compressorRegistry,
} from "./registries.js";

// Connection backoff (doc/connection-backoff.md)
export { Backoff, type BackoffOptions } from "./timers/backoff.js";

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
} from "./channelz/channelz.js";

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
} from "./observability/logging.js";

// The stats hook (grpc-go's stats.Handler), used by @grpckit/opentelemetry
export type {
  StatsHandler,
  CallTagInfo,
  CallStatsEvent,
  BeginEvent,
  HeaderEvent,
  PayloadEvent,
  HalfCloseEvent,
  TrailerEvent,
  EndEvent,
  CallEndEvent,
  ConnectionTagInfo,
  ConnectionStatsEvent,
} from "./observability/stats.js";

// Plug-in metrics (gRFC A79): instruments registered once per process, recorded through a channel's recorder
export {
  registerInt64Count,
  registerFloat64Count,
  registerInt64Histogram,
  registerFloat64Histogram,
  registerInt64Gauge,
  registeredMetrics,
  registeredMetric,
  MetricsRecorderList,
  type MetricDescriptor,
  type MetricKind,
  type MetricHandle,
  type Int64CountHandle,
  type Float64CountHandle,
  type Int64HistogramHandle,
  type Float64HistogramHandle,
  type Int64GaugeHandle,
  type MetricsRecorder,
} from "./observability/metrics-recorder.js";
