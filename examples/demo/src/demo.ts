/**
 * The demo: starts a Greeter server on a loopback port, calls it with each of the four
 * RPC kinds over real HTTP/2, shows an error status, and shuts down.
 */
import { Code, GrpcError, createChannel, createClient, createServer } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { Greeter, greeter } from "./server.js";

async function* names(...list: string[]) {
  for (const name of list) yield { name };
}

const transport = http2Transport();
const server = createServer({ transport });
server.addService(Greeter, greeter);
const { address } = await server.listen("127.0.0.1:0");
console.log(`server listening on ${address}`);

const channel = createChannel(address, { transport });
const client = createClient(Greeter, channel);

const reply = await client.sayHello({ name: "Ada" }, { timeoutMs: 2000 });
console.log(`unary            -> ${reply.message}`);

for await (const r of client.sayHelloManyTimes({ name: "Grace" })) {
  console.log(`server streaming -> ${r.message}`);
}

const all = await client.greetEveryone(names("Alan", "Barbara", "Edsger"));
console.log(`client streaming -> ${all.message}`);

for await (const r of client.chat(names("Ken", "Dennis"))) {
  console.log(`bidi streaming   -> ${r.message}`);
}

try {
  await client.sayHello({ name: "late" }, { deadline: Date.now() - 1 });
} catch (e) {
  const err = e as GrpcError;
  console.log(`an expired deadline gives ${Code[err.code]}: ${err.rawMessage}`);
}

channel.close();
await server.shutdown();
console.log("server shut down; demo done");
