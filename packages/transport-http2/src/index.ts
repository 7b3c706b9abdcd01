/**
 * @grpckit/transport-http2: gRPC transport for @grpckit/core on Node's own node:http2.
 */
export { http2Transport, type Http2TransportOptions } from "./http2-transport.js";
export type { ClientKeepaliveOptions, KeepaliveEnforcementOptions, ServerKeepaliveOptions } from "@grpckit/core";
