// A grpckit EchoService server in a process of its own, so its memory is measured
// alone. Run from the built packages: `node --expose-gc inflate-flood-server.mjs
// <h2|http2> <base64 FileDescriptorProto of echo.proto>`. It prints {"port"} once
// listening, then answers lines on stdin: "baseline" (resident memory after a full
// garbage collection) and "peak" (the largest resident memory the process has had).
import { createInterface } from "node:readline";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createFileRegistry } from "@bufbuild/protobuf";
import { createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";

const [transportName, descriptor] = process.argv.slice(2);
const file = createFileRegistry(fromBinary(FileDescriptorProtoSchema, Buffer.from(descriptor, "base64")), () => undefined);
const service = file.getService("grpckit.test.v1.EchoService");
const server = createServer({ transport: transportName === "h2" ? h2Transport() : http2Transport() });
server.addService(service, { echo: (req) => ({ message: req.message }) });
const { port } = await server.listen("127.0.0.1:0");
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
say({ port });

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "baseline") {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc();
    say({ baseline: process.memoryUsage().rss });
  } else if (line === "peak") {
    say({ peak: process.resourceUsage().maxRSS * 1024 });
  }
}
server.forceShutdown();
