/**
 * The rows that split the bidi streaming comparison by server: the same raw node:http2
 * client echoing 100-byte messages on one stream through node:http2's own server,
 * transport-h2 on its own (frames echoed undecoded, as node:http2's are) and grpckit on
 * transport-h2 (each message decoded, handed to the handler and encoded). The first two
 * compare the HTTP/2 implementations under the same work; the last shows what core and
 * protobuf add to transport-h2.
 */

/** A server of the bidi split. */
export type BidiServer = "raw" | "h2-ceiling" | "grpckit-h2";

export const BIDI_SERVER_LABEL: Record<BidiServer, string> = {
  raw: "node:http2 on its own (raw)",
  "h2-ceiling": "transport-h2 on its own",
  "grpckit-h2": "grpckit on transport-h2",
};

/** One server's echo under the raw client (the median of its rounds). */
export interface BidiServerRow {
  server: BidiServer;
  messageBytes: number;
  messages: number;
  messagesPerSecond: number;
  /** The server process's CPU time over the client's whole run (warm-up included) per message it echoed. */
  cpuMicrosPerMessage: number;
  roundsMessagesPerSecond: number[];
}

/** A server's messages/s and CPU per message divided by node:http2's. */
export interface BidiServerRatio {
  server: Exclude<BidiServer, "raw">;
  /** Messages/s ÷ node:http2's (above 1: faster). */
  throughput: number;
  /** CPU µs per message ÷ node:http2's (above 1: more CPU). */
  cpuPerMessage: number;
}

/** Each other server ÷ the raw node:http2 server, where both were measured. */
export function computeBidiServerRatios(rows: readonly BidiServerRow[]): BidiServerRatio[] {
  const raw = rows.find((row) => row.server === "raw");
  if (raw === undefined) return [];
  const ratios: BidiServerRatio[] = [];
  for (const row of rows) {
    if (row.server === "raw") continue;
    ratios.push({
      server: row.server,
      throughput: row.messagesPerSecond / raw.messagesPerSecond,
      cpuPerMessage: row.cpuMicrosPerMessage / raw.cpuMicrosPerMessage,
    });
  }
  return ratios;
}
