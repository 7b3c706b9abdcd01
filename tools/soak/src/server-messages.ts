/**
 * The line protocol between the soak driver and its server process: the driver writes
 * one command per line on the server's stdin, the server answers with one JSON line on
 * its stdout.
 */

/** Memory in bytes after a full garbage collection. */
export interface SettledMemory {
  rss: number;
  heapUsed: number;
  external: number;
}

/** What the server reports after a graceful shutdown. */
export interface ShutdownReport {
  /** How long server.shutdown() took. */
  shutdownMs: number;
  /** Active resources left beyond stdio (handle, timer and request type names). */
  leftover: string[];
}

/** One line the server prints. */
export type ServerLine =
  | { kind: "listening"; port: number }
  | { kind: "memory"; memory: SettledMemory }
  | { kind: "shutdown"; report: ShutdownReport }
  | { kind: "error"; message: string };

/** Commands the server reads on stdin. */
export type ServerCommand = "memory" | "shutdown";
