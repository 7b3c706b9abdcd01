/**
 * A sink that appends each entry to a file as a varint length and the entry's bytes
 * (protobuf's size-delimited form), so the file is read back with any protobuf
 * library's delimited reader, as `sizeDelimitedDecodeStream` of @bufbuild/protobuf.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { sizeDelimitedEncode } from "@bufbuild/protobuf/wire";
import { log, LogVerbosity } from "@grpckit/core";
import { GrpcLogEntrySchema, type GrpcLogEntry } from "./gen/grpc/binlog/v1/binarylog_pb.js";
import type { BinaryLogSink } from "./sink.js";

export interface FileSinkOptions {
  /**
   * Bytes queued for the file before entries are dropped (and counted in `dropped`),
   * so a disk slower than the calls costs bounded memory. Default 16 MiB.
   */
  readonly maxQueuedBytes?: number;
}

/** A file sink: what it has dropped, and `close()`, which resolves once every queued entry is written. */
export interface FileSink extends BinaryLogSink {
  /** Entries dropped because too much was queued, or because the file could not be written. */
  readonly dropped: number;
  close(): Promise<void>;
}

/**
 * Appends length-delimited GrpcLogEntry messages to `path` (created when missing).
 *
 * @example
 * const sink = fileSink("/var/log/grpc/binary.log");
 * const channel = createChannel(target, { transport, statsHandlers: [binaryLog({ filter: "*", sink })] });
 * // ...
 * await sink.close();
 */
export function fileSink(path: string, options: FileSinkOptions = {}): FileSink {
  const maxQueued = options.maxQueuedBytes ?? 16 * 1024 * 1024;
  const out: WriteStream = createWriteStream(path, { flags: "a" });
  let failed: Error | undefined;
  let dropped = 0;
  let closing: Promise<void> | undefined;
  out.on("error", (e) => {
    if (failed === undefined) log(LogVerbosity.ERROR, `binary log: cannot write ${path}: ${e.message}; entries are dropped from now on`);
    failed = e;
  });
  return {
    get dropped() {
      return dropped;
    },
    write(entry: GrpcLogEntry): void {
      if (failed !== undefined || closing !== undefined || out.writableLength > maxQueued) {
        if (dropped++ === 0 && failed === undefined && closing === undefined) {
          log(LogVerbosity.ERROR, `binary log: more than ${maxQueued} bytes queued for ${path}; entries are dropped until it catches up`);
        }
        return;
      }
      out.write(sizeDelimitedEncode(GrpcLogEntrySchema, entry));
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        if (failed !== undefined || out.destroyed) {
          resolve();
          return;
        }
        out.end(() => resolve());
        out.once("error", () => resolve());
      });
      return closing;
    },
  };
}
