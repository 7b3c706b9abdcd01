/**
 * Faults on loopback with real servers: a server killed mid-call, a server draining
 * under load, and retry and hedging policies counted at the server.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  GrpcError,
  createChannel,
  createClient,
  createServer,
  type Channel,
  type HandlerContext,
  type Server,
  type ServiceConfig,
} from "@grpckit/core";
import { http2Transport } from "../src/index.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";

const transport = http2Transport();
let servers: Server[] = [];
let channels: Channel[] = [];

afterEach(() => {
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
  servers = [];
  channels = [];
});

interface Seen {
  attempts: number;
  aborted: number;
}

/** An echo server; `onEcho` may delay or fail a unary call. */
async function serve(onEcho?: (ctx: HandlerContext, seen: Seen) => Promise<void> | void): Promise<{ server: Server; port: number; seen: Seen }> {
  const seen: Seen = { attempts: 0, aborted: 0 };
  const server = createServer({ transport });
  const base = echoImpl();
  server.addService(EchoService, {
    ...base,
    async echo(req, ctx) {
      seen.attempts++;
      ctx.signal.addEventListener("abort", () => seen.aborted++, { once: true });
      await onEcho?.(ctx, seen);
      return { message: req.message };
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  servers.push(server);
  return { server, port: port!, seen };
}

function channelTo(target: string, serviceConfig?: ServiceConfig): Channel {
  const channel = createChannel(target, { transport, defaultServiceConfig: serviceConfig, backoff: { baseDelayMs: 20, maxDelayMs: 100 } });
  channels.push(channel);
  return channel;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

const echoMethods = [{ service: "grpckit.test.v1.EchoService" }];

describe("a server killed mid-call", () => {
  it("fails the calls in flight with UNAVAILABLE, saying the connection was lost", async () => {
    const a = await serve((ctx) => sleep(10_000, ctx.signal));
    const client = createClient(EchoService, channelTo(`127.0.0.1:${a.port}`));
    const stream = client.chat((async function* () {
      yield { message: "1" };
      await sleep(1_000);
    })());
    const unary = client.echo({ message: "u" }).catch((e: unknown) => e);
    const streamed = (async () => {
      try {
        for await (const _ of stream);
      } catch (e) {
        return e;
      }
    })();
    while (a.seen.attempts === 0) await sleep(5);
    a.server.forceShutdown();
    for (const e of [await unary, await streamed]) {
      expect(e).toBeInstanceOf(GrpcError);
      expect((e as GrpcError).code).toBe(Code.UNAVAILABLE);
    }
  });

  it("a retry policy on UNAVAILABLE carries unary calls over to the other backend", async () => {
    const a = await serve((ctx) => sleep(10_000, ctx.signal));
    const b = await serve();
    const client = createClient(
      EchoService,
      channelTo(`ipv4:127.0.0.1:${a.port},127.0.0.1:${b.port}`, {
        methodConfig: [
          {
            name: echoMethods,
            retryPolicy: { maxAttempts: 3, initialBackoff: "0.05s", maxBackoff: "0.2s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] },
          },
        ],
      }),
    );
    const calls = Array.from({ length: 20 }, (_, i) => client.echo({ message: String(i) }, { timeoutMs: 5000 }));
    while (a.seen.attempts < 20) await sleep(5);
    a.server.forceShutdown();
    const results = await Promise.all(calls);
    expect(results.map((r) => r.message)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(b.seen.attempts).toBe(20);
  });
});

describe("a server draining under load", () => {
  it("loses no call: those in flight finish, new ones go to the next backend", async () => {
    const a = await serve(() => sleep(5));
    const b = await serve(() => sleep(5));
    const client = createClient(EchoService, channelTo(`ipv4:127.0.0.1:${a.port},127.0.0.1:${b.port}`));
    let failed = 0;
    let done = 0;
    let stop = false;
    const worker = async () => {
      for (let i = 0; i < 400 && !stop; i++) {
        await client.echo({ message: "x" }, { timeoutMs: 5000 }).then(
          () => done++,
          () => failed++,
        );
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    while (done < 100) await sleep(5);
    const drained = a.server.shutdown();
    while (b.seen.attempts < 100) await sleep(5);
    stop = true;
    await Promise.all(workers);
    await drained;
    expect(failed).toBe(0);
    expect(a.seen.attempts).toBeGreaterThan(0);
    expect(b.seen.attempts).toBeGreaterThanOrEqual(100);
  });
});

describe("retry and hedging policies, counted at the server", () => {
  it("retries until the server answers, and the server counts every attempt", async () => {
    const a = await serve((_ctx, seen) => {
      if (seen.attempts < 3) throw new GrpcError(Code.UNAVAILABLE, "not yet");
    });
    const client = createClient(
      EchoService,
      channelTo(`127.0.0.1:${a.port}`, {
        methodConfig: [
          {
            name: echoMethods,
            retryPolicy: { maxAttempts: 5, initialBackoff: "0.01s", maxBackoff: "0.05s", backoffMultiplier: 2, retryableStatusCodes: ["UNAVAILABLE"] },
          },
        ],
      }),
    );
    expect((await client.echo({ message: "r" })).message).toBe("r");
    expect(a.seen.attempts).toBe(3);
  });

  it("cancels the hedged attempts that lose", async () => {
    const a = await serve(async (ctx, seen) => {
      if (seen.attempts === 1) await sleep(5_000, ctx.signal);
    });
    const client = createClient(
      EchoService,
      channelTo(`127.0.0.1:${a.port}`, {
        methodConfig: [{ name: echoMethods, hedgingPolicy: { maxAttempts: 2, hedgingDelay: "0.05s" } }],
      }),
    );
    expect((await client.echo({ message: "h" })).message).toBe("h");
    for (let i = 0; i < 100 && a.seen.aborted === 0; i++) await sleep(5);
    expect(a.seen.attempts).toBe(2);
    expect(a.seen.aborted).toBe(1);
  });

  it("stops retrying once throttling has spent its tokens", async () => {
    const a = await serve(() => {
      throw new GrpcError(Code.UNAVAILABLE, "always");
    });
    const client = createClient(
      EchoService,
      channelTo(`127.0.0.1:${a.port}`, {
        methodConfig: [
          {
            name: echoMethods,
            retryPolicy: { maxAttempts: 5, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] },
          },
        ],
        retryThrottling: { maxTokens: 10, tokenRatio: 0.1 },
      }),
    );
    const attemptsPerCall: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = a.seen.attempts;
      await client.echo({ message: "t" }).catch(() => {});
      attemptsPerCall.push(a.seen.attempts - before);
    }
    // 10 tokens, one spent per failed attempt, retries only while more than 5 are left.
    expect(attemptsPerCall).toEqual([5, 1, 1, 1]);
  });
});
