import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  LogVerbosity,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  isTracerEnabled,
  log,
  pickFirstBalancer,
  registerBalancer,
  setLogVerbosity,
  setLogger,
  setTracers,
  trace,
  type BalancerBuilder,
  type Logger,
} from "../src/index.js";
import { EchoService, echoImpl } from "./support/echo-service.js";
import { startEcho, type Harness } from "./support/harness.js";

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { error: (m) => lines.push(m), info: (m) => lines.push(m), debug: (m) => lines.push(m) } };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  setTracers("");
  setLogVerbosity(LogVerbosity.ERROR);
});

describe("logs and traces", () => {
  it("writes only messages at or above the verbosity", () => {
    const { logger, lines } = capture();
    setLogger(logger);
    setLogVerbosity(LogVerbosity.INFO);
    log(LogVerbosity.DEBUG, "not shown");
    log(LogVerbosity.INFO, "shown info");
    log(LogVerbosity.ERROR, "shown error");
    expect(lines.map((l) => l.replace(/^\S+ /, ""))).toEqual(["I shown info", "E shown error"]);
  });

  it("traces the tracers named, all of them with 'all', minus the ones with '-'", () => {
    setLogVerbosity(LogVerbosity.DEBUG);
    setTracers("channel, subchannel");
    expect([isTracerEnabled("channel"), isTracerEnabled("subchannel"), isTracerEnabled("call")]).toEqual([true, true, false]);
    setTracers("all,-call");
    expect([isTracerEnabled("channel"), isTracerEnabled("call")]).toEqual([true, false]);
    setLogVerbosity(LogVerbosity.ERROR);
    expect(isTracerEnabled("channel")).toBe(false);
  });

  it("gives a balancer a logger that names its policy and target, its debug lines under the balancer tracer", async () => {
    const { logger, lines } = capture();
    setLogger(logger);
    setLogVerbosity(LogVerbosity.DEBUG);
    setTracers("balancer");
    const logging: BalancerBuilder = {
      name: "test_logging",
      build(cc, options) {
        options?.logger.info(`built for ${options.authority}`);
        options?.logger.debug("a trace line");
        return pickFirstBalancer.build(cc, options);
      },
    };
    registerBalancer(logging);
    const transport = createInMemoryTransport();
    const server = createServer({ transport });
    server.addService(EchoService, echoImpl());
    await server.listen("logging-balancer");
    const channel = createChannel("passthrough:///logging-balancer", { transport, defaultServiceConfig: '{"loadBalancingPolicy":"test_logging"}' });
    try {
      await createClient(EchoService, channel).echo({ message: "a" });
      const own = lines.filter((l) => l.includes("test_logging balancer of passthrough:///logging-balancer"));
      expect(own.map((l) => l.replace(/^\S+ /, ""))).toEqual([
        "I test_logging balancer of passthrough:///logging-balancer: built for logging-balancer",
        "D balancer | test_logging balancer of passthrough:///logging-balancer: a trace line",
      ]);
    } finally {
      channel.close();
      server.forceShutdown();
    }
  });

  it("traces a channel's state changes, its subchannel and its calls", async () => {
    const { logger, lines } = capture();
    setLogger(logger);
    setLogVerbosity(LogVerbosity.DEBUG);
    setTracers("channel,subchannel,call");
    h = await startEcho();
    await h.client.echo({ message: "a" });
    const text = lines.join("\n");
    expect(text).toMatch(/ D channel \| \S+: IDLE -> CONNECTING/);
    expect(text).toMatch(/ D subchannel \| \S+: CONNECTING -> READY/);
    expect(text).toMatch(/ D call \| \/grpckit\.test\.v1\.EchoService\/Echo: ended OK/);
    trace("server", "not on");
    expect(lines.some((l) => l.includes("server |"))).toBe(false);
  });

  it("reads GRPC_VERBOSITY and GRPC_TRACE from the environment", () => {
    const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `import { isTracerEnabled } from ${JSON.stringify(dist)}; console.log(JSON.stringify([isTracerEnabled("channel"), isTracerEnabled("call")]));`;
    const run = (env: Record<string, string>) =>
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { env: { PATH: process.env.PATH ?? "", ...env } }).toString().trim();
    expect(run({ GRPC_VERBOSITY: "debug", GRPC_TRACE: "all,-call" })).toBe("[true,false]");
    expect(run({ GRPC_TRACE: "all" })).toBe("[false,false]");
  });
});
