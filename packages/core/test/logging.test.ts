import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { LogVerbosity, log, setLogVerbosity, setLogger, setTracers, isTracerEnabled, trace, type Logger } from "../src/index.js";
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
