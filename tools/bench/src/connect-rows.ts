/**
 * Issue 23's bench rows: Connect unary calls under h2load over HTTP/1.1 and HTTP/2,
 * grpckit on transport-h2 against @connectrpc/connect-node's own server.
 */
import type { ConnectCheckResult } from "./connect-check.js";
import type { H2loadResult } from "./h2load.js";

/** The servers of the Connect rows. */
export type ConnectServer = "grpckit-h2" | "connect-node";

export const CONNECT_SERVER_LABEL: Record<ConnectServer, string> = {
  "grpckit-h2": "grpckit on transport-h2",
  "connect-node": "@connectrpc/connect-node (connectNodeAdapter)",
};

/** One server at one HTTP version under h2load (the median of its rounds). */
export interface ConnectRow {
  http: "1.1" | "2";
  /** "-c 8 -m 16". */
  load: string;
  server: ConnectServer;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerCall: number;
  peakRssBytes: number;
  h2load: H2loadResult;
  check: ConnectCheckResult;
  roundsRequestsPerSecond: number[];
}

/** grpckit on transport-h2 ÷ connect-node at one HTTP version. */
export interface ConnectRatio {
  http: "1.1" | "2";
  /** Requests/s. */
  throughput: number;
  /** CPU µs per call (below 1: grpckit spends less). */
  cpuPerCall: number;
}

export function computeConnectRatios(rows: readonly ConnectRow[]): ConnectRatio[] {
  const ratios: ConnectRatio[] = [];
  for (const grpckit of rows) {
    if (grpckit.server !== "grpckit-h2") continue;
    const connect = rows.find((row) => row.server === "connect-node" && row.http === grpckit.http);
    if (connect === undefined) continue;
    ratios.push({
      http: grpckit.http,
      throughput: grpckit.requestsPerSecond / connect.requestsPerSecond,
      cpuPerCall: grpckit.cpuMicrosPerCall / connect.cpuMicrosPerCall,
    });
  }
  return ratios;
}
