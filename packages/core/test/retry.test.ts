import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  GrpcError,
  LogVerbosity,
  setLogVerbosity,
  setLogger,
  setTracers,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  type Channel,
  type ChannelOptions,
  type HandlerContext,
  type MethodConfigJson,
  type Server,
  type ServiceConfig,
} from "../src/index.js";
import { create } from "@bufbuild/protobuf";
import { EchoRequestSchema, EchoService, type EchoRequest } from "./gen/grpckit/test/v1/echo_pb.js";
import { failure } from "./support/harness.js";

/** What the server saw of each attempt. */
interface Attempt {
  method: string;
  message: string;
  previousAttempts: string | undefined;
  aborted: boolean;
}

/**
 * What the server does for an attempt: `n` counts the attempts of the same request
 * message, from 0. It throws to fail the attempt.
 */
type Script = (n: number, req: EchoRequest, ctx: HandlerContext) => Promise<void> | void;

let server: Server | undefined;
let channel: Channel | undefined;
afterEach(() => {
  channel?.close();
  server?.forceShutdown();
  server = channel = undefined;
});

async function start(methodConfig: MethodConfigJson[], script: Script, extra: Partial<ServiceConfig> = {}, options: ChannelOptions = {}) {
  const transport = createInMemoryTransport();
  const attempts: Attempt[] = [];
  const seen = new Map<string, number>();
  const run = async (method: string, req: EchoRequest, ctx: HandlerContext) => {
    const entry: Attempt = { method, message: req.message, previousAttempts: ctx.metadata.get("grpc-previous-rpc-attempts") as string | undefined, aborted: false };
    attempts.push(entry);
    ctx.signal.addEventListener("abort", () => (entry.aborted = true), { once: true });
    const n = seen.get(req.message) ?? 0;
    seen.set(req.message, n + 1);
    await script(n, req, ctx);
  };
  server = createServer({ transport });
  server.addService(EchoService, {
    async echo(req, ctx) {
      await run("echo", req, ctx);
      return { message: req.message };
    },
    async *expand(req, ctx) {
      yield { message: "first" };
      await run("expand", req, ctx);
    },
    async collect(reqs, ctx) {
      const parts: string[] = [];
      for await (const r of reqs) parts.push(r.message);
      await run("collect", create(EchoRequestSchema, { message: parts.join(",") }), ctx);
      return { message: parts.join(",") };
    },
  });
  const { address } = await server.listen(`retry-${Math.random()}`);
  const config: ServiceConfig = { methodConfig, ...extra };
  channel = createChannel(address, { transport, defaultServiceConfig: config, ...options });
  return { client: createClient(EchoService, channel), attempts };
}

const echoName = [{ service: "grpckit.test.v1.EchoService" }];
const retryOn = (codes: string[], maxAttempts = 4): MethodConfigJson => ({
  name: echoName,
  retryPolicy: { maxAttempts, initialBackoff: "0.01s", maxBackoff: "0.05s", backoffMultiplier: 2, retryableStatusCodes: codes },
});

function fail(code: Code, trailer?: Record<string, string>) {
  return (ctx: HandlerContext) => {
    for (const [k, v] of Object.entries(trailer ?? {})) ctx.responseTrailer.set(k, v);
    throw new GrpcError(code, `scripted ${Code[code]}`);
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

describe("retries (gRFC A6)", () => {
  it("retries a unary call on a retryable status, telling the server the previous attempts", async () => {
    const { client, attempts } = await start([retryOn(["UNAVAILABLE"])], (n, _req, ctx) => {
      if (n < 2) fail(Code.UNAVAILABLE)(ctx);
    });
    expect((await client.echo({ message: "a" })).message).toBe("a");
    expect(attempts.map((a) => a.previousAttempts)).toEqual([undefined, "1", "2"]);
  });

  it("a request that cannot be serialized ends the call INTERNAL with the reason, and the channel carries on", async () => {
    const { client, attempts } = await start([retryOn(["UNAVAILABLE", "INTERNAL"])], () => {});
    const err = await failure(client.echo({ message: "bad", repeat: 1.5 }));
    expect(err.code).toBe(Code.INTERNAL);
    expect(err.rawMessage).toContain("failed to serialize request");
    expect(err.rawMessage).toContain("invalid int32: 1.5");
    expect(attempts).toHaveLength(0);
    expect((await client.echo({ message: "good" })).message).toBe("good");
  });

  it("does not retry a status the policy does not list", async () => {
    const { client, attempts } = await start([retryOn(["UNAVAILABLE"])], (_n, _req, ctx) => fail(Code.INTERNAL)(ctx));
    const err = await failure(client.echo({ message: "a" }));
    expect(err.code).toBe(Code.INTERNAL);
    expect(attempts).toHaveLength(1);
  });

  it("makes at most 5 attempts, whatever maxAttempts says, and ends with the last status", async () => {
    const { client, attempts } = await start([retryOn(["UNAVAILABLE"], 10)], (_n, _req, ctx) => fail(Code.UNAVAILABLE)(ctx));
    const err = await failure(client.echo({ message: "a" }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.rawMessage).toBe("scripted UNAVAILABLE");
    expect(attempts).toHaveLength(5);
  });

  it("stops retrying when the server's pushback is not a non-negative integer", async () => {
    const { client, attempts } = await start([retryOn(["UNAVAILABLE"])], (_n, _req, ctx) =>
      fail(Code.UNAVAILABLE, { "grpc-retry-pushback-ms": "-1" })(ctx),
    );
    expect((await failure(client.echo({ message: "a" }))).code).toBe(Code.UNAVAILABLE);
    expect(attempts).toHaveLength(1);
  });

  it("waits for the server's pushback before the next attempt", async () => {
    const times: number[] = [];
    const { client } = await start([retryOn(["UNAVAILABLE"])], (n, _req, ctx) => {
      times.push(Date.now());
      if (n === 0) fail(Code.UNAVAILABLE, { "grpc-retry-pushback-ms": "150" })(ctx);
    });
    expect((await client.echo({ message: "a" })).message).toBe("a");
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(140);
  });

  it("commits once response headers arrive: a stream that fails after a message is not retried", async () => {
    const { client, attempts } = await start(
      [{ ...retryOn(["UNAVAILABLE"]), name: [{ service: "grpckit.test.v1.EchoService", method: "Expand" }] }],
      (_n, _req, ctx) => fail(Code.UNAVAILABLE)(ctx),
    );
    const got: string[] = [];
    const err = await failure(
      (async () => {
        for await (const r of client.expand({ message: "s" })) got.push(r.message);
      })(),
    );
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(got).toEqual(["first"]);
    expect(attempts).toHaveLength(1);
  });

  it("replays every request message of a client stream on the next attempt", async () => {
    const { client, attempts } = await start([retryOn(["UNAVAILABLE"])], (n, _req, ctx) => {
      if (n === 0) fail(Code.UNAVAILABLE)(ctx);
    });
    const res = await client.collect([{ message: "x" }, { message: "y" }, { message: "z" }]);
    expect(res.message).toBe("x,y,z");
    expect(attempts.map((a) => a.message)).toEqual(["x,y,z", "x,y,z"]);
  });

  it("commits when the messages held for replay pass the per-call buffer limit", async () => {
    const { client, attempts } = await start(
      [retryOn(["UNAVAILABLE"])],
      (_n, _req, ctx) => fail(Code.UNAVAILABLE)(ctx),
      {},
      { perCallRetryBufferBytes: 100 },
    );
    const big = "b".repeat(200);
    expect((await failure(client.collect([{ message: big }]))).code).toBe(Code.UNAVAILABLE);
    expect(attempts).toHaveLength(1);
  });

  it("commits when the channel's calls together hold more than the channel's retry buffer", async () => {
    const { client, attempts } = await start(
      [retryOn(["UNAVAILABLE"])],
      (_n, req, ctx) => {
        if (req.message.startsWith("b")) fail(Code.UNAVAILABLE)(ctx);
      },
      {},
      { retryBufferBytes: 300, perCallRetryBufferBytes: 1 << 20 },
    );
    // The first call holds 200 bytes while it waits for its answer, which never comes
    // before the second call's 200 bytes push the channel past 300.
    const first = client.collect(
      (async function* () {
        yield { message: "a".repeat(200) };
        await new Promise((r) => setTimeout(r, 100));
      })(),
    );
    await new Promise((r) => setTimeout(r, 20));
    expect((await failure(client.collect([{ message: "b".repeat(200) }]))).code).toBe(Code.UNAVAILABLE);
    expect(attempts.filter((a) => a.message.startsWith("b"))).toHaveLength(1);
    expect((await first).message).toBe("a".repeat(200));
  });

  it("stops retrying while throttled, and throttles across calls of the channel", async () => {
    const { client, attempts } = await start([retryOn(["UNAVAILABLE"], 5)], (_n, _req, ctx) => fail(Code.UNAVAILABLE)(ctx), {
      retryThrottling: { maxTokens: 4, tokenRatio: 0.1 },
    });
    // 4 tokens: the first failure leaves 3 (> 2, retry), the second 2 (not > 2, stop).
    await failure(client.echo({ message: "first" }));
    expect(attempts.filter((a) => a.message === "first")).toHaveLength(2);
    await failure(client.echo({ message: "second" }));
    expect(attempts.filter((a) => a.message === "second")).toHaveLength(1);
  });

  it("ends with DEADLINE_EXCEEDED when the deadline passes while waiting to retry", async () => {
    const { client } = await start(
      [{ name: echoName, retryPolicy: { maxAttempts: 5, initialBackoff: "10s", maxBackoff: "10s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] } }],
      (_n, _req, ctx) => fail(Code.UNAVAILABLE)(ctx),
    );
    const err = await failure(client.echo({ message: "a" }, { timeoutMs: 100 }));
    expect([Code.DEADLINE_EXCEEDED, Code.UNAVAILABLE]).toContain(err.code);
  });
});

describe("hedging (gRFC A6)", () => {
  const hedge = (delay: string, nonFatal: string[] = ["UNAVAILABLE"]): MethodConfigJson => ({
    name: echoName,
    hedgingPolicy: { maxAttempts: 3, hedgingDelay: delay, nonFatalStatusCodes: nonFatal },
  });

  it("answers from a later attempt when the first is slow, and cancels the loser at the server", async () => {
    const { client, attempts } = await start([hedge("0.03s")], async (n, _req, ctx) => {
      if (n === 0) await sleep(2_000, ctx.signal);
    });
    expect((await client.echo({ message: "h" })).message).toBe("h");
    await new Promise((r) => setTimeout(r, 20));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0].aborted).toBe(true);
    expect(attempts[1].previousAttempts).toBe("1");
  });

  it("ends the call at once on a fatal status, cancelling the other attempts", async () => {
    const { client, attempts } = await start([hedge("0.02s")], async (n, _req, ctx) => {
      if (n === 0) await sleep(2_000, ctx.signal);
      else fail(Code.INVALID_ARGUMENT)(ctx);
    });
    const err = await failure(client.echo({ message: "h" }));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    await new Promise((r) => setTimeout(r, 20));
    expect(attempts[0].aborted).toBe(true);
  });

  it("sends the next hedge at once when every attempt so far failed non-fatally", async () => {
    const { client, attempts } = await start([hedge("10s")], (n, _req, ctx) => {
      if (n < 2) fail(Code.UNAVAILABLE)(ctx);
    });
    expect((await client.echo({ message: "h" }, { timeoutMs: 2000 })).message).toBe("h");
    expect(attempts).toHaveLength(3);
  });
});

describe("methodConfig", () => {
  it("applies the method's timeout when the call has none", async () => {
    const { client } = await start([{ name: echoName, timeout: "0.05s" }], async (_n, _req, ctx) => sleep(2_000, ctx.signal));
    expect((await failure(client.echo({ message: "t" }))).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("uses the smaller of the call's and the config's response size limits", async () => {
    const { client } = await start([{ name: echoName, maxResponseMessageBytes: 10 }], () => {});
    const err = await failure(client.echo({ message: "longer than ten bytes" }));
    expect(err.code).toBe(Code.RESOURCE_EXHAUSTED);
  });

  it("matches the method first, then the service, then the default", async () => {
    const { client } = await start(
      [
        { name: [{}], timeout: "10s" },
        { name: [{ service: "grpckit.test.v1.EchoService", method: "Echo" }], maxRequestMessageBytes: 5 },
      ],
      () => {},
    );
    expect((await failure(client.echo({ message: "more than five" }))).code).toBe(Code.RESOURCE_EXHAUSTED);
    expect((await client.collect([{ message: "more than five" }])).message).toBe("more than five");
  });
});

describe("deadline propagation", () => {
  it("a handler's call inherits its deadline and ends when the handler's call is cancelled", async () => {
    const transport = createInMemoryTransport();
    let innerCtx: HandlerContext | undefined;
    const backend = createServer({ transport });
    backend.addService(EchoService, {
      async echo(_req, ctx) {
        innerCtx = ctx;
        await sleep(5_000, ctx.signal);
        return {};
      },
    });
    await backend.listen("backend");
    const backendChannel = createChannel("backend", { transport });
    const backendClient = createClient(EchoService, backendChannel);
    server = createServer({ transport });
    server.addService(EchoService, {
      echo: (req, ctx) => backendClient.echo(req, { parent: ctx }),
    });
    await server.listen("frontend");
    channel = createChannel("frontend", { transport });
    const client = createClient(EchoService, channel);
    const ac = new AbortController();
    const p = client.echo({ message: "p" }, { timeoutMs: 3_000, signal: ac.signal });
    while (innerCtx === undefined) await new Promise((r) => setTimeout(r, 5));
    expect(innerCtx.deadline).toBeDefined();
    expect(innerCtx.deadline!).toBeLessThanOrEqual(Date.now() + 3_000);
    ac.abort();
    expect((await failure(p)).code).toBe(Code.CANCELLED);
    while (!innerCtx.signal.aborted) await new Promise((r) => setTimeout(r, 5));
    expect(innerCtx.signal.aborted).toBe(true);
    backendChannel.close();
    backend.forceShutdown();
  });
});


describe("why a failure is not retried, traced under GRPC_TRACE=retry", () => {
  const lines: string[] = [];
  afterEach(() => {
    setTracers("");
    setLogVerbosity(LogVerbosity.ERROR);
    setLogger({ error: (m) => console.error(m), info: (m) => console.info(m), debug: (m) => console.debug(m) });
    lines.length = 0;
  });
  const traceRetry = () => {
    setLogVerbosity(LogVerbosity.DEBUG);
    setTracers("retry");
    setLogger({ error: (m) => lines.push(m), info: (m) => lines.push(m), debug: (m) => lines.push(m) });
  };

  it("a handler that set a response header before failing: the call committed, so it is not retried, and the trace says so", async () => {
    traceRetry();
    const { client, attempts } = await start([retryOn(["UNAVAILABLE"])], (_n, _req, ctx) => {
      ctx.sendHeader();
      fail(Code.UNAVAILABLE)(ctx);
    });
    expect((await failure(client.echo({ message: "a" }))).code).toBe(Code.UNAVAILABLE);
    expect(attempts).toHaveLength(1);
    expect(lines.filter((l) => l.includes("not retried"))).toEqual([
      expect.stringMatching(/ retry \| \/grpckit\.test\.v1\.EchoService\/Echo: UNAVAILABLE not retried: committed after response headers$/),
    ]);
  });

  it("a status the policy does not list, and the last of maxAttempts, say why", async () => {
    traceRetry();
    const listed = await start([retryOn(["UNAVAILABLE"], 2)], (_n, req, ctx) => fail(req.message === "a" ? Code.INTERNAL : Code.UNAVAILABLE)(ctx));
    await failure(listed.client.echo({ message: "a" }));
    await failure(listed.client.echo({ message: "b" }));
    expect(lines.filter((l) => l.includes("not retried")).map((l) => l.slice(l.indexOf("Echo: ")))).toEqual([
      "Echo: INTERNAL not retried: the status is not in retryableStatusCodes",
      "Echo: UNAVAILABLE not retried: all 2 attempts made",
    ]);
  });
});
