/**
 * weighted_round_robin's configuration, gRFC A58's WeightedRoundRobinLbConfig in its
 * JSON form: `{ "weighted_round_robin": { "blackoutPeriod": "10s", ... } }`, checked
 * when the config arrives, never per call.
 */
import * as z from "zod";
import { durationMs } from "./duration.js";

/** The parsed configuration a weighted_round_robin balancer receives; durations in milliseconds. */
export interface WeightedRoundRobinConfig {
  /** Read load reports from each backend's OpenRcaService stream instead of from call trailers. */
  readonly enableOobLoadReport: boolean;
  /** How often a backend is asked to send an out-of-band report (used with `enableOobLoadReport`). */
  readonly oobReportingPeriodMs: number;
  /** How long a backend's weight must have been known before it is used. */
  readonly blackoutPeriodMs: number;
  /** A weight not refreshed by a report for this long is forgotten. */
  readonly weightExpirationPeriodMs: number;
  /** How often the weights are recomputed and the scheduler rebuilt; at least 100 ms. */
  readonly weightUpdatePeriodMs: number;
  /** How much the error rate (eps / qps) adds to a backend's utilization. */
  readonly errorUtilizationPenalty: number;
}

/** The settings as a service config writes them (gRFC A58's JSON names). */
export interface WeightedRoundRobinJsonConfig {
  enableOobLoadReport?: boolean;
  oobReportingPeriod?: string;
  blackoutPeriod?: string;
  weightExpirationPeriod?: string;
  weightUpdatePeriod?: string;
  errorUtilizationPenalty?: number;
}

/** A shorter `weightUpdatePeriod` is raised to this: rebuilding more often costs CPU for nothing. */
export const MIN_WEIGHT_UPDATE_PERIOD_MS = 100;

/** gRFC A58's defaults. */
export const DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG: WeightedRoundRobinConfig = Object.freeze({
  enableOobLoadReport: false,
  oobReportingPeriodMs: 10_000,
  blackoutPeriodMs: 10_000,
  weightExpirationPeriodMs: 180_000,
  weightUpdatePeriodMs: 1_000,
  errorUtilizationPenalty: 1,
});

const d = DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG;

/** Validates a weighted_round_robin config and turns its durations into milliseconds. */
export const weightedRoundRobinConfigSchema: z.ZodType<WeightedRoundRobinConfig> = z
  .looseObject({
    enableOobLoadReport: z.boolean({ error: "enableOobLoadReport must be true or false" }).default(d.enableOobLoadReport),
    oobReportingPeriod: durationMs("oobReportingPeriod").default(d.oobReportingPeriodMs),
    blackoutPeriod: durationMs("blackoutPeriod").default(d.blackoutPeriodMs),
    weightExpirationPeriod: durationMs("weightExpirationPeriod").default(d.weightExpirationPeriodMs),
    weightUpdatePeriod: durationMs("weightUpdatePeriod")
      .default(d.weightUpdatePeriodMs)
      .transform((ms) => Math.max(ms, MIN_WEIGHT_UPDATE_PERIOD_MS)),
    errorUtilizationPenalty: z
      .number({ error: "errorUtilizationPenalty must be a number" })
      .min(0, { error: "errorUtilizationPenalty must be 0 or more" })
      .default(d.errorUtilizationPenalty),
  })
  .transform(
    (c): WeightedRoundRobinConfig => ({
      enableOobLoadReport: c.enableOobLoadReport,
      oobReportingPeriodMs: c.oobReportingPeriod,
      blackoutPeriodMs: c.blackoutPeriod,
      weightExpirationPeriodMs: c.weightExpirationPeriod,
      weightUpdatePeriodMs: c.weightUpdatePeriod,
      errorUtilizationPenalty: c.errorUtilizationPenalty,
    }),
  ) as unknown as z.ZodType<WeightedRoundRobinConfig>;
