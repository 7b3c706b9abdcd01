/** Starts a server and a client for one test over the in-memory transport (or another given). */
import {
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  type Channel,
  type ChannelOptions,
  type Client,
  type Server,
  type ServerOptions,
  type TransportBuilder,
} from "../../src/index.js";
import { EchoService, echoImpl, type EchoLog } from "./echo-service.js";

export interface Harness {
  server: Server;
  channel: Channel;
  client: Client<typeof EchoService>;
  log: EchoLog;
  close(): Promise<void>;
}

let nextName = 1;

export async function startEcho(
  opts: { server?: ServerOptions; channel?: ChannelOptions; transport?: TransportBuilder; address?: string } = {},
): Promise<Harness> {
  const transport = opts.transport ?? createInMemoryTransport();
  const log: EchoLog = { aborted: [], contexts: [] };
  const server = createServer({ transport, ...opts.server });
  server.addService(EchoService, echoImpl(log));
  const { address } = await server.listen(opts.address ?? `echo-${nextName++}`);
  const channel = createChannel(address, { transport, ...opts.channel });
  const client = createClient(EchoService, channel);
  return {
    server,
    channel,
    client,
    log,
    async close() {
      channel.close();
      server.forceShutdown();
    },
  };
}

/** Collects an async iterable into an array. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Resolves with the GrpcError (or other error) a promise rejects with; fails if it resolves. */
export async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
