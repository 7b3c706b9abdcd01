/** BalancerBuildOptions for a balancer under test, with a logger and a metrics recorder that keep what they got. */
import type { BalancerBuildOptions } from "../balancer/balancer.js";
import type { Logger } from "../observability/logging.js";
import { MetricsRecorderList, type MetricHandle, type MetricsRecorder } from "../observability/metrics-recorder.js";
import { parseTarget } from "../resolver/target.js";

/** One metric record a policy made through its build options' `metricsRecorder`. */
export interface RecordedMetric {
  /** The instrument's name. */
  readonly name: string;
  /** The value recorded. */
  readonly value: number;
  /** The values of the instrument's labels, in its descriptor's order. */
  readonly labels: readonly string[];
  /** The values of its optional labels, in order. */
  readonly optionalLabels: readonly string[];
}

/** Build options whose logger and metrics recorder keep everything, to check what a policy logged and recorded. */
export interface FakeBuildOptions extends BalancerBuildOptions {
  /** Every line logged, in order, as "error: ...", "info: ..." or "debug: ...". */
  readonly logged: string[];
  /**
   * Every metric record that matched its instrument's descriptor, in order; a record
   * that did not is dropped and logged in `logged`, as a channel does.
   */
  readonly recorded: RecordedMetric[];
}

/**
 * Build options as a channel to `target` would pass them (`passthrough:///test.example:443`
 * by default, insecure, its authority the target's endpoint); pass them to
 * `builder.build(cc, options)`.
 */
export function createFakeBuildOptions(init: { target?: string; authority?: string; secure?: boolean } = {}): FakeBuildOptions {
  const raw = init.target ?? "passthrough:///test.example:443";
  // Any "scheme://" names its scheme; a bare "host:port" is passthrough's, as a channel takes it.
  const target = parseTarget(raw, "passthrough", () => raw.includes("://"));
  const logged: string[] = [];
  const logger: Logger = {
    error: (m) => void logged.push(`error: ${m}`),
    info: (m) => void logged.push(`info: ${m}`),
    debug: (m) => void logged.push(`debug: ${m}`),
  };
  const recorded: RecordedMetric[] = [];
  const keep = (h: MetricHandle, value: number, labels: readonly string[], optionalLabels: readonly string[]): void =>
    void recorded.push({ name: h.name, value, labels: [...labels], optionalLabels: [...optionalLabels] });
  const keeper: MetricsRecorder = {
    recordInt64Count: keep,
    recordFloat64Count: keep,
    recordInt64Histogram: keep,
    recordFloat64Histogram: keep,
    recordInt64Gauge: keep,
  };
  const metricsRecorder = new MetricsRecorderList([keeper], logger);
  return { target, authority: init.authority ?? target.endpoint, secure: init.secure ?? false, logger, logged, metricsRecorder, recorded };
}
