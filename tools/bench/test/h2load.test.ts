import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseH2loadOutput, readLatencyLog } from "../src/h2load.js";
import { percentile } from "../src/percentile.js";

const dir = mkdtempSync(join(tmpdir(), "bench-h2load-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const summary = `
finished in 2.00s, 27928.00 req/s, 1.04MB/s
requests: 55856 total, 55984 started, 55856 done, 55850 succeeded, 6 failed, 0 errored, 0 timeout
status codes: 55872 2xx, 0 3xx, 1 4xx, 5 5xx
traffic: 2.08MB (2179832) total, 164.32KB (168264) headers (space savings 95.76%), 436.50KB (446976) data
`;

describe("reading h2load's results", () => {
  it("reads requests per second, request outcomes and status classes from the summary", () => {
    expect(parseH2loadOutput(summary)).toEqual({
      requestsPerSecond: 27928,
      done: 55856,
      succeeded: 55850,
      failed: 6,
      errored: 0,
      status2xx: 55872,
      status3xx: 0,
      status4xx: 1,
      status5xx: 5,
    });
  });

  it("rejects output without a summary, so a crashed run is not read as zero load", () => {
    expect(() => parseH2loadOutput("connect to 127.0.0.1 failed")).toThrow(/unexpected h2load output/);
  });

  it("computes p50 and p99 from the per-request log, leaving out failed streams", () => {
    const lines: string[] = [];
    for (let i = 1; i <= 100; i++) lines.push(`1795522263258604\t200\t${i * 1000}`);
    lines.push("1795522263258605\t-1\t999999999");
    const file = join(dir, "requests.log");
    writeFileSync(file, `${lines.join("\n")}\n`);
    expect(readLatencyLog(file)).toEqual({ samples: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
  });

  it("takes the nearest-rank percentile", () => {
    const sorted = Float64Array.from([1, 2, 3, 4]);
    expect(percentile(sorted, 0.5)).toBe(2);
    expect(percentile(sorted, 0.99)).toBe(4);
    expect(percentile(new Float64Array(0), 0.5)).toBeNaN();
  });
});
