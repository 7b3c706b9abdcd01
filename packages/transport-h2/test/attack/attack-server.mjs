// A grpckit server on transport-h2 (the built package) in a process of its own, so the
// attack tests measure its memory alone. It prints {"port"} once listening, then answers
// lines on stdin: "mark" collects garbage and starts a new peak at the current RSS
// ({"rss"}); "peak" says the highest RSS sampled since the mark ({"rss","peak"}).
import { createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { createInterface } from "node:readline";
import { TestService } from "../../../../tools/interop/dist/gen/grpc/testing/test_pb.js";

const server = createServer({ transport: h2Transport() });
server.addService(TestService, {
  emptyCall: () => ({}),
  unaryCall: (req) => ({ payload: { body: new Uint8Array(req.responseSize) } }),
});
const { port } = await server.listen("127.0.0.1:0");

let peak = 0;
const sample = () => {
  const rss = process.memoryUsage.rss();
  if (rss > peak) peak = rss;
};
setInterval(sample, 10).unref();

const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "mark") {
    globalThis.gc?.();
    peak = process.memoryUsage.rss();
    reply({ rss: peak });
  } else if (line === "peak") {
    sample();
    reply({ rss: process.memoryUsage.rss(), peak });
  }
});
process.stdin.on("end", () => process.exit(0));
reply({ port });
