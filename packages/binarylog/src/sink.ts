/** Where a binary log's entries go. */
import type { GrpcLogEntry } from "./gen/grpc/binlog/v1/binarylog_pb.js";

/**
 * Takes the entries a binary log writes, one call at a time in each call's order.
 * `write` is called on the call's path: it should queue the entry and return, never
 * block or throw. `close` writes out what is queued and releases the sink.
 *
 * @example
 * // Entries kept in memory, for a test or a custom exporter.
 * const entries: GrpcLogEntry[] = [];
 * const sink: BinaryLogSink = { write: (e) => void entries.push(e) };
 */
export interface BinaryLogSink {
  write(entry: GrpcLogEntry): void;
  close?(): Promise<void>;
}
