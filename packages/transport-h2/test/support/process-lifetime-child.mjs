// A process whose only work is one grpckit call (or an idle channel), run from the
// built packages: `node process-lifetime-child.mjs <mode> <base64 FileDescriptorProto
// of echo.proto>`. It prints one line per event; the test reads them and the exit code.
//   wait-then-serve: a waitForReady call without a deadline to a port where a server
//     starts listening 500 ms later;
//   signal-timeout: a waitForReady call with only AbortSignal.timeout(1000), nothing listening;
//   idle: a channel whose one call failed fast, then nothing pending.
import { createServer as createNetServer } from "node:net";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createChannel, createClient, createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";

const [mode, descriptor] = process.argv.slice(2);
const registry = createFileRegistry(fromBinary(FileDescriptorProtoSchema, Buffer.from(descriptor, "base64")), () => undefined);
const EchoService = registry.getService("grpckit.test.v1.EchoService");

const free = createNetServer();
await new Promise((resolve) => free.listen(0, "127.0.0.1", resolve));
const port = free.address().port;
await new Promise((resolve) => free.close(resolve));

const channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
const client = createClient(EchoService, channel);
const report = (outcome) => console.log(outcome);
const statusOf = (e) => `${Code[e.code] ?? "?"}: ${e.rawMessage ?? e.message}`;

if (mode === "wait-then-serve") {
  let server;
  setTimeout(async () => {
    server = createServer({ transport: h2Transport() });
    server.addService(EchoService, { echo: (req) => ({ message: req.message }) });
    await server.listen(`127.0.0.1:${port}`);
    report("listening");
  }, 500).unref();
  client.echo({ message: "waited" }, { waitForReady: true }).then(
    (r) => {
      report(`settled OK ${r.message}`);
      channel.close();
      server?.forceShutdown();
    },
    (e) => report(`settled ${statusOf(e)}`),
  );
} else if (mode === "signal-timeout") {
  client.echo({ message: "x" }, { waitForReady: true, signal: AbortSignal.timeout(1000) }).then(
    () => report("settled OK"),
    (e) => report(`settled ${statusOf(e)}`),
  );
} else if (mode === "idle") {
  client.echo({ message: "x" }).then(
    () => report("settled OK"),
    (e) => report(`settled ${statusOf(e)}`),
  );
}
