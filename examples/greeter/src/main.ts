/**
 * The Greeter example in one process: starts the server on a loopback port, calls
 * SayHello and SayHelloStream over real HTTP/2, shows the status an empty name gets,
 * and shuts down.
 */
import { GrpcError, codeName, createChannel, createClient, createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { greet } from "./client.js";
import { Greeter, greeter } from "./server.js";

const transport = h2Transport();
const server = createServer({ transport });
server.addService(Greeter, greeter);
const { address } = await server.listen("127.0.0.1:0");
console.log(`server listening on ${address}`);

const channel = createChannel(address, { transport });
const client = createClient(Greeter, channel);
await greet(client, "Ada", console.log);

try {
  await client.sayHello({ name: "" });
} catch (e) {
  const err = GrpcError.from(e);
  console.log(`SayHello("")   -> ${codeName(err.code)}: ${err.rawMessage}`);
}

channel.close();
await server.shutdown();
console.log("server shut down");
