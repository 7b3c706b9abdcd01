/**
 * The primary process: forks the workers, which share one listening address (node:cluster
 * accepts each connection in the primary and hands it to a worker in turn), prints where
 * everything listens once every worker is ready, re-forks a worker that dies, and on
 * SIGTERM or SIGINT drains every worker and exits once all have.
 */
import cluster, { type Worker } from "node:cluster";
import { isWorkerReady, type WorkerReady } from "./messages.js";

export interface PrimaryOptions {
  /** How many workers to fork. */
  readonly workers: number;
  /** The address they all serve. */
  readonly address: string;
  /** Worker `id`'s own admin address (see WorkerOptions.adminAddress). */
  readonly adminAddress: (id: number) => string;
  /** Told once every worker listens (and again for a worker forked to replace one). */
  readonly onReady: (workers: readonly WorkerReady[]) => void;
}

export function runPrimary(options: PrimaryOptions): void {
  const ready = new Map<number, WorkerReady>();
  let stopping = false;

  // node:cluster numbers workers 1, 2, ... in the order they are forked; the admin
  // address is chosen before the fork, so it counts forks the same way.
  let forked = 0;
  const fork = (): Worker => {
    const id = ++forked;
    const worker = cluster.fork({ WORKERS_ADDRESS: options.address, WORKERS_ADMIN_ADDRESS: options.adminAddress(id) });
    worker.on("message", (message: unknown) => {
      if (!isWorkerReady(message)) return;
      ready.set(worker.id, message);
      if (ready.size === options.workers) options.onReady([...ready.values()].sort((a, b) => a.workerId - b.workerId));
    });
    return worker;
  };
  cluster.on("exit", (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`worker ${worker.id} (pid ${worker.process.pid}) exited (${signal ?? `code ${code}`}); forking a new one`);
    fork();
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(0);
    for (const w of workers) w.process.kill("SIGTERM");
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  for (let i = 0; i < options.workers; i++) fork();
}
