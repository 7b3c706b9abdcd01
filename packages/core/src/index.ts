/**
 * @grpckit/core: gRPC for TypeScript on Node.js. Calls, channels, servers, and the
 * registries that transports, resolvers, balancers, credentials, codecs and
 * compressors plug into.
 */
export { Code } from "./code.js";
export * from "./transport.js";
export * from "./credentials.js";
