import type { Library } from "../src/libraries.js";
import type { ClientUnaryRow, ServerUnaryRow, StreamingRow } from "../src/report.js";

/** A server unary row with the given numbers; the h2load counts and check are filler. */
export function serverRow(
  server: Library,
  load: string,
  numbers: { requestsPerSecond: number; p99Ms?: number; cpuMicrosPerCall?: number; peakRssBytes?: number },
): ServerUnaryRow {
  return {
    load,
    server,
    requestsPerSecond: numbers.requestsPerSecond,
    p50Ms: 1,
    p99Ms: numbers.p99Ms ?? 2,
    cpuMicros: (numbers.cpuMicrosPerCall ?? 50) * 1000,
    cpuMicrosPerCall: numbers.cpuMicrosPerCall ?? 50,
    peakRssBytes: numbers.peakRssBytes ?? 100 << 20,
    h2load: { requestsPerSecond: numbers.requestsPerSecond, done: 1000, succeeded: 1000, failed: 0, errored: 0, status2xx: 1000, status3xx: 0, status4xx: 0, status5xx: 0 },
    check: { requests: 5, grpcStatusOk: 5, echoed: 5, grpcStatuses: ["0"], contentTypes: ["application/grpc"] },
  };
}

/** A client unary row with the given numbers. */
export function clientRow(
  client: Library,
  inFlight: number,
  numbers: { callsPerSecond: number; p99Ms?: number; peakRssBytes?: number },
): ClientUnaryRow {
  return {
    inFlight,
    client,
    calls: 1000,
    errors: 0,
    callsPerSecond: numbers.callsPerSecond,
    p50Ms: 1,
    p99Ms: numbers.p99Ms ?? 2,
    peakRssBytes: numbers.peakRssBytes ?? 100 << 20,
  };
}

/** A streaming row with the given messages/s. */
export function streamingRow(library: Library, messageBytes: number, messagesPerSecond: number): StreamingRow {
  return {
    messageBytes,
    library,
    messages: 1000,
    messagesPerSecond,
    mebibytesPerSecond: (messagesPerSecond * messageBytes) / (1024 * 1024),
    clientPeakRssBytes: 60 << 20,
    serverPeakRssBytes: 60 << 20,
  };
}
