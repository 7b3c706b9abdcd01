/**
 * One worker process: serves WorkerInfo and the admin services on the address every
 * worker shares (node:cluster hands each accepted connection to one worker), and the
 * admin services again on a port of its own, so a probe or channelz can reach this
 * worker in particular. SIGTERM drains it: health says NOT_SERVING, the server stops
 * taking calls, lets running ones finish, and the process exits.
 */
import cluster from "node:cluster";
import { createServer, type ServiceImpl } from "@grpckit/core";
import { addAdminServices } from "@grpckit/admin";
import { ServingStatus } from "@grpckit/health";
import { h2Transport } from "@grpckit/transport-h2";
import { WorkerInfo } from "./gen/workers/v1/worker_info_pb.js";
import type { WorkerReady } from "./messages.js";

/** How long running calls get to finish after SIGTERM before they are cancelled. */
const drainMs = 10_000;

export interface WorkerOptions {
  /** The address every worker serves, e.g. "127.0.0.1:50051" (port 0: one port the primary picks). */
  readonly address: string;
  /**
   * This worker's own admin address, served by it alone: a distinct port per worker
   * ("127.0.0.1:50101") or a unix socket ("unix:/run/app/worker-1.sock"). Port 0 would
   * not do: node:cluster gives every worker listening on port 0 the same shared port.
   */
  readonly adminAddress: string;
}

const workerId = cluster.worker?.id ?? 0;

const workerInfo: ServiceImpl<typeof WorkerInfo> = {
  async describe(req, ctx) {
    if (req.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(req.delayMs, 60_000));
        ctx.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    return { workerId, pid: process.pid };
  },
};

/** Starts this worker's servers and tells the primary where they listen. */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const transport = h2Transport();
  const shared = createServer({ transport });
  shared.addService(WorkerInfo, workerInfo);
  const sharedAdmin = addAdminServices(shared);
  const bound = await shared.listen(options.address);

  const own = createServer({ transport });
  const ownAdmin = addAdminServices(own);
  const ownBound = await own.listen(options.adminAddress);

  for (const admin of [sharedAdmin, ownAdmin]) admin.health.setServingStatus("workers.v1.WorkerInfo", ServingStatus.SERVING);

  let draining = false;
  process.on("SIGTERM", () => {
    if (draining) return;
    draining = true;
    for (const admin of [sharedAdmin, ownAdmin]) admin.health.shutdown();
    const force = setTimeout(() => {
      shared.forceShutdown();
      own.forceShutdown();
    }, drainMs);
    force.unref();
    void Promise.all([shared.shutdown(), own.shutdown()]).then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  });

  const ready: WorkerReady = { type: "ready", workerId, pid: process.pid, port: bound.port!, adminAddress: ownBound.address };
  process.send?.(ready);
}
