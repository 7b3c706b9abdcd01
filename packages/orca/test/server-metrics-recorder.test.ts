/**
 * ServerMetricsRecorder and the report made from it: values in range are recorded,
 * values out of range are ignored (as grpc-go's recorder ignores them), deletes clear,
 * and a merge lets per-call figures win over the server's.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { OrcaLoadReportSchema, ServerMetricsRecorder } from "../src/index.js";
import { mergeServerMetrics, toLoadReport } from "../src/server-metrics.js";

describe("ServerMetricsRecorder", () => {
  it("reports every figure and map entry that was set", () => {
    const r = new ServerMetricsRecorder();
    r.setCpuUtilization(1.5);
    r.setMemoryUtilization(0.25);
    r.setApplicationUtilization(2);
    r.setQps(120.5);
    r.setEps(3);
    r.setNamedUtilization("disk", 0.75);
    r.setRequestCost("db_queries", 4);
    r.setNamedMetric("queue_length", 17);
    const report = fromBinary(OrcaLoadReportSchema, toBinary(OrcaLoadReportSchema, r.loadReport()));
    expect(report).toMatchObject({
      cpuUtilization: 1.5,
      memUtilization: 0.25,
      applicationUtilization: 2,
      rpsFractional: 120.5,
      eps: 3,
      utilization: { disk: 0.75 },
      requestCost: { db_queries: 4 },
      namedMetrics: { queue_length: 17 },
    });
  });

  it("ignores values out of each figure's range and keeps the last good one", () => {
    const r = new ServerMetricsRecorder();
    r.setCpuUtilization(0.5);
    r.setCpuUtilization(-0.1);
    r.setMemoryUtilization(0.5);
    r.setMemoryUtilization(1.01);
    r.setMemoryUtilization(-1);
    r.setApplicationUtilization(0.5);
    r.setApplicationUtilization(-2);
    r.setQps(10);
    r.setQps(-1);
    r.setEps(1);
    r.setEps(Number.NaN);
    r.setNamedUtilization("disk", 0.5);
    r.setNamedUtilization("disk", 1.5);
    r.setNamedUtilization("net", -0.5);
    const m = r.serverMetrics();
    expect(m).toMatchObject({ cpuUtilization: 0.5, memUtilization: 0.5, applicationUtilization: 0.5, qps: 10, eps: 1 });
    expect({ ...m.utilization }).toEqual({ disk: 0.5 });
  });

  it("accepts the ends of each range: CPU and application utilization above 1, memory at 0 and 1", () => {
    const r = new ServerMetricsRecorder();
    r.setCpuUtilization(4);
    r.setApplicationUtilization(0);
    r.setMemoryUtilization(1);
    r.setNamedUtilization("disk", 0);
    r.setQps(0);
    expect(r.serverMetrics()).toMatchObject({ cpuUtilization: 4, applicationUtilization: 0, memUtilization: 1, qps: 0 });
    r.setMemoryUtilization(0);
    expect(r.serverMetrics().memUtilization).toBe(0);
    expect({ ...r.serverMetrics().utilization }).toEqual({ disk: 0 });
  });

  it("forgets what was deleted", () => {
    const r = new ServerMetricsRecorder();
    r.setCpuUtilization(0.5);
    r.setMemoryUtilization(0.5);
    r.setApplicationUtilization(0.5);
    r.setQps(5);
    r.setEps(5);
    r.setNamedUtilization("disk", 0.5);
    r.setRequestCost("cost", 1);
    r.setNamedMetric("m", 1);
    r.deleteCpuUtilization();
    r.deleteMemoryUtilization();
    r.deleteApplicationUtilization();
    r.deleteQps();
    r.deleteEps();
    r.deleteNamedUtilization("disk");
    r.deleteRequestCost("cost");
    r.deleteNamedMetric("m");
    const m = r.serverMetrics();
    expect(m).toMatchObject({ cpuUtilization: undefined, memUtilization: undefined, applicationUtilization: undefined, qps: undefined, eps: undefined });
    expect(Object.keys(m.utilization).length + Object.keys(m.requestCost).length + Object.keys(m.namedMetrics).length).toBe(0);
    expect(toBinary(OrcaLoadReportSchema, r.loadReport()).byteLength).toBe(0);
  });

  it("hands out snapshots that later changes leave alone", () => {
    const r = new ServerMetricsRecorder();
    r.setQps(1);
    r.setNamedMetric("m", 1);
    const before = r.serverMetrics();
    r.setQps(2);
    r.setNamedMetric("m", 2);
    expect(before.qps).toBe(1);
    expect(before.namedMetrics.m).toBe(1);
  });

  it("keeps a metric named __proto__ as an ordinary name", () => {
    const r = new ServerMetricsRecorder();
    r.setNamedMetric("__proto__", 7);
    const report = fromBinary(OrcaLoadReportSchema, toBinary(OrcaLoadReportSchema, r.loadReport()));
    expect(Object.entries(report.namedMetrics)).toEqual([["__proto__", 7]]);
  });
});

describe("mergeServerMetrics", () => {
  it("lets each figure and map entry set per call win over the server's, and keeps the server's others", () => {
    const server = new ServerMetricsRecorder();
    server.setCpuUtilization(0.9);
    server.setMemoryUtilization(0.8);
    server.setQps(100);
    server.setNamedUtilization("disk", 0.5);
    server.setNamedUtilization("net", 0.1);
    const call = new ServerMetricsRecorder();
    call.setCpuUtilization(0.2);
    call.setNamedUtilization("disk", 0.3);
    call.setRequestCost("rows", 12);
    const merged = toLoadReport(mergeServerMetrics(server.serverMetrics(), call.serverMetrics()));
    expect(merged).toMatchObject({
      cpuUtilization: 0.2,
      memUtilization: 0.8,
      rpsFractional: 100,
      utilization: { disk: 0.3, net: 0.1 },
      requestCost: { rows: 12 },
    });
  });
});

describe("toLoadReport", () => {
  it("keeps only the request costs named, or all of them when none is named", () => {
    const r = new ServerMetricsRecorder();
    r.setRequestCost("a", 1);
    r.setRequestCost("b", 2);
    r.setRequestCost("c", 3);
    expect({ ...toLoadReport(r.serverMetrics(), ["a", "c", "missing"]).requestCost }).toEqual({ a: 1, c: 3 });
    expect({ ...toLoadReport(r.serverMetrics(), []).requestCost }).toEqual({ a: 1, b: 2, c: 3 });
    expect({ ...toLoadReport(r.serverMetrics()).requestCost }).toEqual({ a: 1, b: 2, c: 3 });
  });
});
