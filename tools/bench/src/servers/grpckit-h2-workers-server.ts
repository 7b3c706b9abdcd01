/**
 * The grpckit on transport-h2 echo server served by `--workers N` node:cluster workers
 * sharing one listening port: every worker listens on the same address (port 0 in a
 * worker gives every worker the one port the primary bound), and the primary hands each
 * accepted connection to a worker in turn. The primary prints the shared port once every
 * worker listens, answers the driver's commands, and stops the workers on "stop".
 */
import cluster from "node:cluster";
import { h2Transport } from "@grpckit/transport-h2";
import { startGrpckitServer } from "./grpckit-echo-server.js";
import { listenPort, serveControl } from "./server-control.js";

/** What a worker tells the primary once it listens. */
interface WorkerListening {
  type: "listening";
  port: number;
}

function isWorkerListening(message: unknown): message is WorkerListening {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "listening";
}

/** Set once the driver asked to stop, when workers exiting is expected. */
let stopping = false;

if (cluster.isPrimary) {
  const argv = process.argv.slice(2);
  const index = argv.indexOf("--workers");
  const workers = index === -1 ? 1 : Number(argv[index + 1]);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers needs a whole number of at least 1, not "${argv[index + 1]}"`);
  const ports = new Set<number>();
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    const worker = cluster.fork({ BENCH_WORKER_PORT: String(listenPort(argv)) });
    worker.on("message", (message: unknown) => {
      if (!isWorkerListening(message)) return;
      ports.add(message.port);
      if (++listening < workers) return;
      if (ports.size !== 1) throw new Error(`the workers listen on different ports: ${[...ports].join(", ")}`);
      serveControl([...ports][0], stopWorkers);
    });
  }
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    process.stderr.write(`worker ${worker.id} exited (${code ?? signal}) while serving\n`);
    process.exit(1);
  });
} else {
  const { port } = await startGrpckitServer(h2Transport(), Number(process.env.BENCH_WORKER_PORT));
  process.send!({ type: "listening", port } satisfies WorkerListening);
}

/** Ends every worker and resolves once all have exited. */
function stopWorkers(): Promise<void> {
  stopping = true;
  const all = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
  return Promise.all(all.map((worker) => new Promise<void>((resolve) => {
    if (worker.isDead()) {
      resolve();
      return;
    }
    worker.once("exit", () => resolve());
    worker.kill("SIGKILL");
  }))).then(() => undefined);
}
