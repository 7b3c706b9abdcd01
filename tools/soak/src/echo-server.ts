/**
 * The soak server process: the echo service on a grpckit server at 127.0.0.1:0, over
 * the transport its `--transport=NAME` argument names (h2 when none), driven over
 * stdin and stdout (see server-messages.ts). After "shutdown" it reports what it still
 * holds, then releases stdin and exits on its own: a handle left behind would keep it
 * running.
 */
import { createInterface } from "node:readline";
import { Code, createServer, GrpcError } from "@grpckit/core";
import { leftoverResources, stdioBaseline } from "./active-resources.js";
import { EchoService } from "./gen/soak/v1/echo_pb.js";
import type { ServerCommand, ServerLine, SettledMemory } from "./server-messages.js";
import { defaultTransportName, isTransportName, transportFor } from "@grpckit/transport-choice";

function send(line: ServerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function settledMemory(): Promise<SettledMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc?.();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
}

const transportName = process.argv.find((arg) => arg.startsWith("--transport="))?.slice("--transport=".length) ?? defaultTransportName;
if (!isTransportName(transportName)) throw new Error(`unknown transport "${transportName}"`);

const commands = createInterface({ input: process.stdin });
const baseline = stdioBaseline();

const server = createServer({ transport: transportFor(transportName) });
server.addService(EchoService, {
  echo(request) {
    return request;
  },
  async *echoStream(requests) {
    let expected = 0;
    for await (const message of requests) {
      if (message.sequence !== expected) {
        throw new GrpcError(Code.FAILED_PRECONDITION, `message ${message.sequence} arrived where ${expected} was due`);
      }
      expected++;
      yield message;
    }
  },
});

let stopping = false;

async function shutdown(): Promise<void> {
  stopping = true;
  const started = performance.now();
  await server.shutdown();
  const shutdownMs = performance.now() - started;
  const leftover = await leftoverResources(baseline);
  send({ kind: "shutdown", report: { shutdownMs, leftover } });
  commands.close();
  process.stdin.destroy();
}

commands.on("line", (line) => {
  const command = line.trim() as ServerCommand;
  const run = command === "memory" ? settledMemory().then((memory) => send({ kind: "memory", memory })) : command === "shutdown" ? shutdown() : undefined;
  if (run === undefined) {
    send({ kind: "error", message: `unknown command "${line}"` });
    return;
  }
  run.catch((error: unknown) => send({ kind: "error", message: error instanceof Error ? error.message : String(error) }));
});
// The driver went away without a shutdown: stop at once.
commands.on("close", () => {
  if (!stopping) {
    server.forceShutdown();
    process.exit(1);
  }
});

const { port } = await server.listen("127.0.0.1:0");
if (port === undefined) throw new Error("the server bound an address without a port");
send({ kind: "listening", port });
