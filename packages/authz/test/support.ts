/** Loopback servers with a policy's tap, and clients with a chosen certificate; all closed after each test. */
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  createChannel,
  createClient,
  createServer,
  insecureCredentials,
  type Channel,
  type Code,
  type Server,
  type ServerCredentials,
  type ServerTap,
  type TransportBuilder,
} from "@grpckit/core";
import { tlsChannelCredentials, tlsServerCredentials } from "@grpckit/credentials-tls";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl, type EchoLog } from "../../core/test/support/echo-service.js";
import { createPki, type KeyPair, type Pki } from "./pki.js";

export let pki: Pki;
const open = { servers: [] as Server[], channels: [] as Channel[] };

/** Makes the certificates once per test file and closes what each test opened. */
export function useLoopback(): void {
  beforeAll(() => {
    pki = createPki();
  });
  afterAll(() => pki?.dispose());
  afterEach(() => {
    for (const c of open.channels.splice(0)) c.close();
    for (const s of open.servers.splice(0)) s.forceShutdown();
  });
}

export interface Served {
  port: number;
  /** What the Echo handlers saw: one context per call that reached a handler. */
  log: EchoLog;
}

/**
 * An Echo server on 127.0.0.1 with `taps`: mutual TLS asking for client certificates
 * ("optional": verified when sent) unless `plaintext`.
 */
export async function serve(transport: TransportBuilder, taps: ServerTap[], options: { plaintext?: boolean } = {}): Promise<Served> {
  const credentials: ServerCredentials = options.plaintext
    ? insecureCredentials()
    : tlsServerCredentials({ ...pki.server, ca: pki.ca, clientCertificate: "optional" });
  const log: EchoLog = { aborted: [], contexts: [] };
  const server = createServer({ transport, credentials, taps });
  server.addService(EchoService, echoImpl(log));
  open.servers.push(server);
  const { port } = await server.listen("127.0.0.1:0");
  return { port: port!, log };
}

/** A client over TLS presenting `identity` (none when undefined), or over plaintext. */
export function echoClient(transport: TransportBuilder, port: number, identity: KeyPair | undefined | "plaintext") {
  const credentials =
    identity === "plaintext" ? insecureCredentials() : tlsChannelCredentials({ ca: pki.ca, ...(identity === undefined ? {} : identity) });
  const channel = createChannel(`127.0.0.1:${port}`, { transport, credentials });
  open.channels.push(channel);
  return createClient(EchoService, channel);
}

/** The status code a call ends with: OK when it succeeds. */
export async function codeOf(call: Promise<unknown>): Promise<Code | 0> {
  try {
    await call;
    return 0;
  } catch (e) {
    return (e as { code: Code }).code;
  }
}

export async function failure(call: Promise<unknown>): Promise<{ code: Code; rawMessage: string }> {
  try {
    await call;
  } catch (e) {
    return e as { code: Code; rawMessage: string };
  }
  throw new Error("the call succeeded");
}

/** Ends a client stream after these messages. */
export async function* messages<T>(...items: T[]): AsyncIterable<T> {
  for (const item of items) yield item;
}

export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
