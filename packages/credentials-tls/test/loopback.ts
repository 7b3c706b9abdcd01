/** Loopback servers and channels for the TLS tests, with the certificates they use; all closed after each test. */
import * as net from "node:net";
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  createChannel,
  createClient,
  createServer,
  type Channel,
  type ChannelCredentials,
  type ChannelOptions,
  type Code,
  type Server,
  type ServerCredentials,
} from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl, type EchoLog } from "../../core/test/support/echo-service.js";
import { createPki, type Pki } from "./pki.js";

export const transport = http2Transport();
export let pki: Pki;
export const open = { servers: [] as Server[], channels: [] as Channel[], closers: [] as (() => void)[] };

/** Makes the certificates once per test file and closes what each test opened. */
export function useLoopback(): void {
  beforeAll(() => {
    pki = createPki();
  });
  afterAll(() => pki?.dispose());
  afterEach(() => {
    for (const c of open.channels.splice(0)) c.close();
    for (const s of open.servers.splice(0)) s.forceShutdown();
    for (const close of open.closers.splice(0)) close();
  });
}

/** An Echo server on 127.0.0.1 (or `host`) with these credentials; resolves with its port. */
export async function serve(credentials: ServerCredentials, log?: EchoLog, host = "127.0.0.1"): Promise<number> {
  const server = createServer({ transport, credentials });
  server.addService(EchoService, echoImpl(log));
  open.servers.push(server);
  const { port } = await server.listen(`${host.includes(":") ? `[${host}]` : host}:0`);
  return port!;
}

export function echoClient(target: string, credentials: ChannelCredentials, options: ChannelOptions = {}) {
  const channel = createChannel(target, { transport, credentials, backoff: { baseDelayMs: 50, maxDelayMs: 100 }, ...options });
  open.channels.push(channel);
  return createClient(EchoService, channel);
}

/** The error a call fails with; the test fails if the call succeeds. */
export async function failure(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  try {
    await call;
  } catch (e) {
    return e as { code: Code; message: string };
  }
  throw new Error("the call succeeded");
}

export function emptyLog(): EchoLog {
  return { aborted: [], contexts: [] };
}

/** A plain TCP connection to the port, closed after the test, for driving a handshake by hand. */
export function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    open.closers.push(() => s.destroy());
    s.once("error", reject);
  });
}
