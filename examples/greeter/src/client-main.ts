/**
 * Calls a running Greeter server: `node dist/client-main.js [target] [name]`
 * (defaults: localhost:50051, world). Exits with status 1 when a call fails.
 */
import { GrpcError, codeName, createChannel, createClient } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { greet } from "./client.js";
import { Greeter } from "./gen/greeter/v1/greeter_pb.js";

const target = process.argv[2] ?? "localhost:50051";
const name = process.argv[3] ?? "world";

const channel = createChannel(target, { transport: h2Transport() });
try {
  await greet(createClient(Greeter, channel), name, console.log);
} catch (e) {
  const err = GrpcError.from(e);
  console.error(`call to ${target} failed: ${codeName(err.code)}: ${err.rawMessage}`);
  process.exitCode = 1;
} finally {
  channel.close();
}
