/**
 * @grpckit/transport-h2: grpckit's own HTTP/2 (RFC 9113) and HPACK (RFC 7541)
 * transport for @grpckit/core, over any duplex socket.
 */
export { h2Transport, type H2TransportOptions } from "./h2-transport.js";
export type { ClientKeepaliveOptions, KeepaliveEnforcementOptions, ServerKeepaliveOptions } from "@grpckit/core";
