/**
 * Server connection management (gRFC A9) over real loopback connections: connections
 * closed for idleness or age are replaced without failing a call, and a stream that
 * outlives the age grace is cut.
 */
import {
  Code,
  createChannel,
  createClient,
  createServer,
  type Channel,
  type Server,
  type ServerConnection,
  type TransportBuilder,
} from "@grpckit/core";
import { afterEach, describe, expect, it } from "vitest";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import type { ServerKeepaliveOptions } from "../src/index.js";
import { delay, transportWith, within } from "./harness.js";

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface ManagedServer {
  readonly address: string;
  /** Every connection the server accepted, in order. */
  readonly connections: ServerConnection[];
  /** Connections that have closed. */
  readonly closed: ServerConnection[];
}

/** An echo server whose transport manages connections as `serverKeepalive` says, recording them. */
async function managedServer(serverKeepalive: ServerKeepaliveOptions): Promise<ManagedServer> {
  const inner = transportWith({ serverKeepalive }, { minClientTimeMs: 0, minServerTimeMs: 0 });
  const connections: ServerConnection[] = [];
  const closed: ServerConnection[] = [];
  const recording: TransportBuilder = {
    name: inner.name,
    connect: (address, options) => inner.connect(address, options),
    listen: (address, options) =>
      inner.listen(address, {
        ...options,
        onConnection: (c) => {
          connections.push(c);
          options.onConnection?.(c);
        },
        onConnectionClose: (c) => {
          closed.push(c);
          options.onConnectionClose?.(c);
        },
      }),
  };
  const server: Server = createServer({ transport: recording });
  server.addService(EchoService, echoImpl());
  const bound = await server.listen("127.0.0.1:0");
  cleanups.push(() => server.forceShutdown());
  return { address: `127.0.0.1:${bound.port}`, connections, closed };
}

function clientOf(address: string) {
  const channel: Channel = createChannel(address, {
    transport: transportWith({}, { minClientTimeMs: 0, minServerTimeMs: 0 }),
    backoff: { baseDelayMs: 50, maxDelayMs: 200 },
  });
  cleanups.push(() => channel.close());
  return createClient(EchoService, channel);
}

async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(20);
  }
}

describe("max connection idle", () => {
  it("closes a connection idle for maxConnectionIdleMs, and the next call opens a new one", async () => {
    const server = await managedServer({ maxConnectionIdleMs: 300 });
    const client = clientOf(server.address);
    expect((await client.echo({ message: "first" })).message).toBe("first");
    await until(() => server.closed.length === 1, 3000, "the idle connection to close");
    expect((await client.echo({ message: "second" })).message).toBe("second");
    expect(server.connections).toHaveLength(2);
  });

  it("keeps a connection whose calls keep it busy, counting idleness from the last call's end", async () => {
    const server = await managedServer({ maxConnectionIdleMs: 300 });
    const client = clientOf(server.address);
    // One call longer than the idle limit, then calls closer together than it.
    await client.echo({ delayMs: 500 });
    for (let i = 0; i < 4; i++) {
      await client.echo({});
      await delay(100);
    }
    expect(server.connections).toHaveLength(1);
    expect(server.closed).toHaveLength(0);
  });
});

describe("max connection age", () => {
  /** Four loops of unary calls for `ms`; what succeeded and what failed. */
  async function steadyLoad(client: ReturnType<typeof clientOf>, ms: number): Promise<{ ok: number; failures: unknown[] }> {
    let ok = 0;
    const failures: unknown[] = [];
    const stopAt = performance.now() + ms;
    const loop = async (id: number) => {
      for (let i = 0; performance.now() < stopAt; i++) {
        try {
          const reply = await client.echo({ message: `${id}/${i}` });
          if (reply.message === `${id}/${i}`) ok++;
        } catch (e) {
          failures.push(e);
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(loop));
    return { ok, failures };
  }

  it("replaces connections older than maxConnectionAgeMs under steady load without failing a call", async () => {
    const server = await managedServer({ maxConnectionAgeMs: 200 });
    const { ok, failures } = await steadyLoad(clientOf(server.address), 1500);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    expect(server.connections.length).toBeGreaterThan(1);
  });

  it("under steady load, the age GOAWAY cuts no call the server had started: any failed call was refused unprocessed", async () => {
    const server = await managedServer({ maxConnectionAgeMs: 200 });
    const { ok, failures } = await steadyLoad(clientOf(server.address), 1500);
    for (const failure of failures) {
      expect(failure).toMatchObject({ code: Code.UNAVAILABLE });
      expect((failure as { rawMessage: string }).rawMessage).toContain("REFUSED_STREAM");
    }
    expect(ok).toBeGreaterThan(20);
    expect(server.connections.length).toBeGreaterThan(1);
  });

  it("lets a long stream finish after the age GOAWAY when there is no grace limit", async () => {
    const server = await managedServer({ maxConnectionAgeMs: 200 });
    const client = clientOf(server.address);
    const indexes: number[] = [];
    for await (const reply of client.expand({ message: "x", repeat: 8, delayMs: 100 })) indexes.push(reply.index);
    expect(indexes).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await until(() => server.closed.length === 1, 3000, "the old connection to close");
  });

  it("cuts a stream still running maxConnectionAgeGraceMs after the age GOAWAY", async () => {
    const ageMs = 300;
    const graceMs = 300;
    const server = await managedServer({ maxConnectionAgeMs: ageMs, maxConnectionAgeGraceMs: graceMs });
    const client = clientOf(server.address);
    const started = performance.now();
    const indexes: number[] = [];
    const outcome = (async () => {
      for await (const reply of client.expand({ message: "x", repeat: 100, delayMs: 50 })) indexes.push(reply.index);
    })().then(
      () => undefined,
      (e: unknown) => e as { code: Code; rawMessage: string },
    );
    const err = await within(outcome, 5000, "the stream to be cut");
    const elapsed = performance.now() - started;
    expect(err?.code).toBe(Code.UNAVAILABLE);
    expect(indexes.length).toBeGreaterThan(0);
    expect(indexes.length).toBeLessThan(100);
    // Age is jittered by up to 10% either way.
    expect(elapsed).toBeGreaterThanOrEqual(ageMs * 0.9 + graceMs - 20);
    expect(elapsed).toBeLessThan(3 * (ageMs + graceMs));
    await until(() => server.closed.length === 1, 3000, "the server to record the closed connection");
  });
});
