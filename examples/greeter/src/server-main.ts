/**
 * Runs the Greeter server alone: `node dist/server-main.js [port]` (default 50051)
 * listens on every interface until Ctrl-C, then drains the calls in flight and exits.
 */
import { createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { Greeter, greeter } from "./server.js";

const port = process.argv[2] ?? "50051";
const server = createServer({ transport: h2Transport() });
server.addService(Greeter, greeter);
const { address } = await server.listen(`:${port}`);
console.log(`Greeter listening on ${address}; Ctrl-C to stop`);

const stop = () => {
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  console.log("shutting down");
  void server.shutdown().then(() => console.log("server shut down"));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
