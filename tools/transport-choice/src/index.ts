/**
 * @grpckit/transport-choice: the one place the tools (interop, soak) turn a
 * `--transport` name into a transport builder.
 */
export {
  defaultTransportName,
  isTransportName,
  transportFor,
  transportNames,
  transportPackages,
  type TransportName,
} from "./transport-choice.js";
