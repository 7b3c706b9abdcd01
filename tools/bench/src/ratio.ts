import type { Library } from "./libraries.js";

/** A grpckit library divided by another implementation on the same row (above 1 means grpckit's number is higher). */
export interface Ratio {
  /** "client unary" is against the raw node:http2 server, "client unary, grpckit-h2 server" against grpckit on transport-h2. */
  table: "server unary" | "client unary" | "client unary, grpckit-h2 server" | "streaming" | "server streaming";
  /** The row's load: "-c 8 -m 16", "100 in flight", "100 B". */
  row: string;
  /** The grpckit library divided: "grpckit" (transport-http2) or "grpckit-h2" (transport-h2). */
  library: Library;
  versus: Library;
  /** Throughput ratio: requests, calls or messages per second. */
  throughput: number;
  p50?: number;
  p99?: number;
  /** CPU time per call of the server (server unary) or of the client (client unary). */
  cpuPerCall?: number;
  peakRss: number;
}
