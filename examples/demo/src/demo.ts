/**
 * The demo: starts a Greeter server with the admin services on a loopback port, calls
 * it with each of the four RPC kinds over real HTTP/2 (transport-h2), shows an error
 * status, asks the admin services about the server, and shuts down.
 */
import { Code, GrpcError, createChannel, createClient, createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { addAdminServices } from "@grpckit/admin";
import { ChannelzService } from "@grpckit/channelz";
import { HealthService, ServingStatus, servingStatusName } from "@grpckit/health";
import { reflectionV1 } from "@grpckit/reflection";
import { Greeter, greeter } from "./server.js";

async function* names(...list: string[]) {
  for (const name of list) yield { name };
}

const transport = h2Transport();
const server = createServer({ transport });
server.addService(Greeter, greeter);
const admin = addAdminServices(server);
const { address } = await server.listen("127.0.0.1:0");
admin.health.setServingStatus(Greeter.typeName, ServingStatus.SERVING);
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

// The admin services, as a load balancer, grpcurl or a channelz debugger would ask.
const health = createClient(HealthService, channel);
const status = await health.check({ service: Greeter.typeName });
console.log(`health           -> ${Greeter.typeName} is ${servingStatusName(status.status)}`);

const reflection = createClient(reflectionV1.ServerReflection, channel);
for await (const res of reflection.serverReflectionInfo([{ messageRequest: { case: "listServices", value: "" } }])) {
  if (res.messageResponse.case === "listServicesResponse") {
    console.log(`reflection       -> ${res.messageResponse.value.service.map((s) => s.name).join(", ")}`);
  }
}

const channelz = createClient(ChannelzService, channel);
const { server: [me] } = await channelz.getServers({});
console.log(`channelz         -> server ${me.ref?.serverId}: ${me.data?.callsStarted} calls started, ${me.data?.callsSucceeded} succeeded, ${me.data?.callsFailed} failed`);

admin.health.shutdown();
channel.close();
await server.shutdown();
console.log("server shut down; demo done");
