/**
 * The RouteGuide example in one process: starts the server on a loopback port, makes
 * one call of each of the four RPC kinds over real HTTP/2, and shuts down.
 */
import { createChannel, createClient, createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { tour } from "./client.js";
import { features } from "./feature-db.js";
import { RouteGuide, routeGuide } from "./server.js";

const transport = h2Transport();
const server = createServer({ transport });
server.addService(RouteGuide, routeGuide(features));
const { address } = await server.listen("127.0.0.1:0");
console.log(`server listening on ${address} with ${features.length} features`);

const channel = createChannel(address, { transport });
await tour(createClient(RouteGuide, channel), console.log);

channel.close();
await server.shutdown();
console.log("server shut down");
