/**
 * Serves one address from several worker processes:
 * `node dist/main.js [address] [workers] [admin-port-base]`, by default
 * 127.0.0.1:50051 with one worker per core. Worker n's own admin services listen on
 * admin-port-base + n, or on a unix socket in a temporary directory when no base is
 * given. `npm run example:workers` from the repository's root.
 */
import cluster from "node:cluster";
import { mkdtempSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { runPrimary } from "./primary.js";
import { runWorker } from "./worker.js";

if (cluster.isPrimary) {
  const address = process.argv[2] ?? "127.0.0.1:50051";
  const workers = Number(process.argv[3] ?? availableParallelism());
  const adminPortBase = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a whole number of at least 1, not "${process.argv[3]}"`);
  const host = address.slice(0, address.lastIndexOf(":"));
  const socketDir = adminPortBase === undefined ? mkdtempSync(join(tmpdir(), "grpckit-workers-")) : undefined;
  runPrimary({
    workers,
    address,
    adminAddress: (id) => (adminPortBase !== undefined ? `${host}:${adminPortBase + id}` : `unix:${join(socketDir!, `worker-${id}.sock`)}`),
    onReady: (ready) => {
      console.log(`serving ${host}:${ready[0].port} from ${ready.length} workers`);
      for (const w of ready) console.log(`worker ${w.workerId}: pid ${w.pid}, admin at ${w.adminAddress}`);
    },
  });
} else {
  await runWorker({ address: process.env.WORKERS_ADDRESS!, adminAddress: process.env.WORKERS_ADMIN_ADDRESS! });
}
