import { describe, expect, expectTypeOf, it } from "vitest";
import {
  MetricsRecorderList,
  registerFloat64Count,
  registerFloat64Histogram,
  registerInt64Count,
  registerInt64Gauge,
  registerInt64Histogram,
  registeredMetric,
  registeredMetrics,
  type Float64CountHandle,
  type Int64CountHandle,
  type Int64GaugeHandle,
  type Logger,
  type MetricHandle,
  type MetricsRecorder,
} from "../src/index.js";
import { createFakeBuildOptions } from "../src/testing/index.js";

const descriptor = (name: string, labels: string[] = [], optionalLabels: string[] = []) => ({
  name,
  description: `test metric ${name}`,
  unit: "{pick}",
  labels,
  optionalLabels,
  default: false,
});

interface Kept {
  method: string;
  name: string;
  value: number;
  labels: readonly string[];
  optionalLabels: readonly string[];
}

function keepingRecorder(records: Kept[]): MetricsRecorder {
  const keep = (method: string) => (h: MetricHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]) =>
    void records.push({ method, name: h.name, value, labels, optionalLabels });
  return {
    recordInt64Count: keep("recordInt64Count"),
    recordFloat64Count: keep("recordFloat64Count"),
    recordInt64Histogram: keep("recordInt64Histogram"),
    recordFloat64Histogram: keep("recordFloat64Histogram"),
    recordInt64Gauge: keep("recordInt64Gauge"),
  };
}

function keepingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { error: (m) => lines.push(m), info: (m) => lines.push(m), debug: (m) => lines.push(m) } };
}

describe("the instrument registry", () => {
  it("returns a typed handle for each kind, found again by name", () => {
    const c = registerInt64Count(descriptor("test.registry.int_count", ["grpc.lb.locality"]));
    const f = registerFloat64Count(descriptor("test.registry.float_count"));
    const ih = registerInt64Histogram(descriptor("test.registry.int_histogram"));
    const fh = registerFloat64Histogram(descriptor("test.registry.float_histogram"));
    const g = registerInt64Gauge(descriptor("test.registry.gauge"));
    expect([c.kind, f.kind, ih.kind, fh.kind, g.kind]).toEqual(["int64Count", "float64Count", "int64Histogram", "float64Histogram", "int64Gauge"]);
    expectTypeOf(c).toEqualTypeOf<Int64CountHandle>();
    expectTypeOf(f).toEqualTypeOf<Float64CountHandle>();
    expectTypeOf(g).toEqualTypeOf<Int64GaugeHandle>();
    expect(c.labels).toEqual(["grpc.lb.locality"]);
    expect(registeredMetric("test.registry.int_count")).toBe(c);
    expect(registeredMetrics().map((m) => m.name)).toEqual(
      expect.arrayContaining(["test.registry.int_count", "test.registry.float_count", "test.registry.gauge"]),
    );
    // A handle cannot be recorded as another kind.
    const recorder = new MetricsRecorderList([], keepingLogger().logger);
    // @ts-expect-error a float64 count handle is not an int64 count handle
    recorder.recordInt64Count(f, 1, [], []);
  });

  it("refuses a name registered twice, saying which kind has it", () => {
    registerInt64Count(descriptor("test.registry.twice"));
    expect(() => registerFloat64Histogram(descriptor("test.registry.twice"))).toThrow(
      /metric "test\.registry\.twice" is already registered \(as int64Count\)/,
    );
  });

  it("lives in the process-wide state every copy of core shares", () => {
    registerInt64Count(descriptor("test.registry.shared"));
    const state = (globalThis as unknown as Record<symbol, { slots: Record<string, Map<string, MetricHandle>> }>)[
      Symbol.for("@grpckit/core/process-state")
    ];
    expect(state.slots["metrics-registry"].get("test.registry.shared")?.kind).toBe("int64Count");
  });
});

describe("MetricsRecorderList", () => {
  it("sends each record to every recorder, through the method of the handle's kind", () => {
    const a: Kept[] = [];
    const b: Kept[] = [];
    const list = new MetricsRecorderList([keepingRecorder(a), keepingRecorder(b)], keepingLogger().logger);
    const count = registerInt64Count(descriptor("test.list.count", ["grpc.lb.backend"], ["grpc.lb.locality"]));
    const gauge = registerInt64Gauge(descriptor("test.list.gauge"));
    list.recordInt64Count(count, 2, ["10.0.0.1:443"], ["zone-a"]);
    list.recordInt64Gauge(gauge, 7, [], []);
    const want = [
      { method: "recordInt64Count", name: "test.list.count", value: 2, labels: ["10.0.0.1:443"], optionalLabels: ["zone-a"] },
      { method: "recordInt64Gauge", name: "test.list.gauge", value: 7, labels: [], optionalLabels: [] },
    ];
    expect(a).toEqual(want);
    expect(b).toEqual(want);
  });

  it("drops and logs (once per instrument) a record whose labels do not match the descriptor, without throwing", () => {
    const records: Kept[] = [];
    const { logger, lines } = keepingLogger();
    const list = new MetricsRecorderList([keepingRecorder(records)], logger);
    const count = registerInt64Count(descriptor("test.list.labels", ["grpc.lb.backend"], ["grpc.lb.locality"]));
    expect(() => list.recordInt64Count(count, 1, [], ["zone-a"])).not.toThrow();
    list.recordInt64Count(count, 1, ["a", "b"], ["zone-a"]);
    list.recordInt64Count(count, 1, ["a"], []);
    expect(records).toEqual([]);
    expect(lines).toEqual([
      'metric "test.list.labels": record dropped: 0 label values given, the descriptor has 1 labels (grpc.lb.backend)',
    ]);
    list.recordInt64Count(count, 1, ["a"], ["zone-a"]);
    expect(records.map((r) => r.labels)).toEqual([["a"]]);
  });

  it("logs a record that does not match its descriptor even when no stats plug-in records", () => {
    const { logger, lines } = keepingLogger();
    const list = new MetricsRecorderList([], logger);
    const count = registerInt64Count(descriptor("test.list.no_recorders", ["grpc.lb.backend"]));
    list.recordInt64Count(count, 1, ["a"], []);
    list.recordInt64Count(count, 1, [], []);
    expect(lines).toEqual([
      'metric "test.list.no_recorders": record dropped: 0 label values given, the descriptor has 1 labels (grpc.lb.backend)',
    ]);
  });

  it("drops a fractional value for a whole-number instrument, and a handle core did not register", () => {
    const records: Kept[] = [];
    const { logger, lines } = keepingLogger();
    const list = new MetricsRecorderList([keepingRecorder(records)], logger);
    const count = registerInt64Count(descriptor("test.list.whole"));
    list.recordInt64Count(count, 1.5, [], []);
    const forged = { ...count, name: "test.list.forged" } as Int64CountHandle;
    list.recordInt64Count(forged, 1, [], []);
    expect(records).toEqual([]);
    expect(lines).toEqual([
      'metric "test.list.whole": record dropped: value 1.5 is not a whole number, and int64Count counts whole numbers',
      'metric "test.list.forged": record dropped: the handle was not returned by a register function of @grpckit/core',
    ]);
  });

  it("keeps recording to the others when one recorder throws, and logs it", () => {
    const records: Kept[] = [];
    const { logger, lines } = keepingLogger();
    const throwing = { ...keepingRecorder([]), recordFloat64Count: () => { throw new Error("exporter is closed"); } };
    const list = new MetricsRecorderList([throwing, keepingRecorder(records)], logger);
    const count = registerFloat64Count(descriptor("test.list.throws"));
    expect(() => list.recordFloat64Count(count, 0.5, [], [])).not.toThrow();
    expect(records.map((r) => r.value)).toEqual([0.5]);
    expect(lines).toEqual(['metric "test.list.throws": a metrics recorder threw: exporter is closed']);
  });

  it("is what createFakeBuildOptions hands a policy under test", () => {
    const options = createFakeBuildOptions();
    const count = registerInt64Count(descriptor("test.fake.count", ["grpc.lb.backend"]));
    options.metricsRecorder.recordInt64Count(count, 1, ["10.0.0.1:443"], []);
    options.metricsRecorder.recordInt64Count(count, 1, [], []);
    expect(options.recorded).toEqual([{ name: "test.fake.count", value: 1, labels: ["10.0.0.1:443"], optionalLabels: [] }]);
    expect(options.logged).toEqual([
      'error: metric "test.fake.count": record dropped: 0 label values given, the descriptor has 1 labels (grpc.lb.backend)',
    ]);
  });
});
