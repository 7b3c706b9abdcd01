/**
 * Runs the web example: `node dist/main.js [api-port] [page-port]` (default 50051 and
 * 8080, on 127.0.0.1) serves the page and the API, prints the URL to open, and on
 * Ctrl-C or SIGTERM lets the calls in flight finish before it exits.
 * `npm run example:web` from the repository's root.
 */
import { startWebExample } from "./web-example.js";

function port(arg: string | undefined, fallback: number): number {
  if (arg === undefined) return fallback;
  const n = Number(arg);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`a port is a whole number from 0 to 65535, not "${arg}"`);
  return n;
}

const example = await startWebExample({ apiPort: port(process.argv[2], 50051), pagePort: port(process.argv[3], 8080) });
console.log(`grpckit API (gRPC, gRPC-Web and Connect) at ${example.apiUrl}`);
console.log(`open ${example.pageUrl} in a browser; Ctrl-C to stop`);

const stop = () => {
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  console.log("shutting down");
  void example.shutdown().then(() => console.log("stopped"));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
