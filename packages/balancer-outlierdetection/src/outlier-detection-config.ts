/**
 * Outlier detection's configuration, as gRFC A50 gives it, in protobuf JSON (durations
 * are strings of seconds such as "10s" or "0.5s"):
 *
 * ```json
 * { "outlier_detection_experimental": {
 *     "interval": "10s", "baseEjectionTime": "30s", "maxEjectionTime": "300s", "maxEjectionPercent": 10,
 *     "successRateEjection": { "stdevFactor": 1900, "enforcementPercentage": 100, "minimumHosts": 5, "requestVolume": 100 },
 *     "failurePercentageEjection": { "threshold": 85, "enforcementPercentage": 100, "minimumHosts": 5, "requestVolume": 50 },
 *     "childPolicy": [{ "round_robin": {} }] } }
 * ```
 */
import * as z from "zod";
import { parseLoadBalancingConfig, type ChosenBalancer, type LoadBalancingConfig } from "@grpckit/core";

/** Success-rate ejection: an endpoint whose success rate lies far below the others' mean is ejected. */
export interface SuccessRateEjectionConfig {
  /** An endpoint is ejected below mean − stdev × stdevFactor / 1000 (default 1900, so 1.9 standard deviations). */
  readonly stdevFactor: number;
  /** The chance, in percent, that an endpoint found to be an outlier is ejected (default 100). */
  readonly enforcementPercentage: number;
  /** How many endpoints need `requestVolume` calls in an interval for the check to run (default 5). */
  readonly minimumHosts: number;
  /** The calls an endpoint needs in an interval to be counted (default 100). */
  readonly requestVolume: number;
}

/** Failure-percentage ejection: an endpoint whose calls failed more than `threshold` percent is ejected. */
export interface FailurePercentageEjectionConfig {
  /** The percentage of failed calls above which an endpoint is ejected (default 85). */
  readonly threshold: number;
  /** The chance, in percent, that an endpoint above the threshold is ejected (default 100). */
  readonly enforcementPercentage: number;
  /** How many endpoints need `requestVolume` calls in an interval for the check to run (default 5). */
  readonly minimumHosts: number;
  /** The calls an endpoint needs in an interval to be counted (default 50). */
  readonly requestVolume: number;
}

/** The parsed configuration an outlier detection balancer receives; times are in milliseconds. */
export interface OutlierDetectionConfig {
  /** How often the ejection checks run (default 10 s). */
  readonly intervalMs: number;
  /** An endpoint's first ejection lasts this long; each further one a multiple of it (default 30 s). */
  readonly baseEjectionTimeMs: number;
  /** The longest an ejection lasts (default 300 s); never less than `baseEjectionTimeMs`. */
  readonly maxEjectionTimeMs: number;
  /** No more endpoints are ejected once this percentage of them is (default 10). */
  readonly maxEjectionPercent: number;
  /** Success-rate ejection's settings; undefined when the config leaves it out (it is then off). */
  readonly successRateEjection: SuccessRateEjectionConfig | undefined;
  /** Failure-percentage ejection's settings; undefined when the config leaves it out (it is then off). */
  readonly failurePercentageEjection: FailurePercentageEjectionConfig | undefined;
  /** The child policy that balances over the endpoints, and its parsed config. */
  readonly childPolicy: ChosenBalancer;
}

/** The configuration as written in a service config (the `BalancerConfigMap` entry). */
export interface OutlierDetectionConfigJson {
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionTime?: string;
  maxEjectionPercent?: number;
  successRateEjection?: Partial<SuccessRateEjectionConfig>;
  failurePercentageEjection?: Partial<FailurePercentageEjectionConfig>;
  /** The child policy as a loadBalancingConfig list, such as `[{ round_robin: {} }]`; the first registered policy is used. */
  childPolicy: LoadBalancingConfig[];
}

export const DEFAULT_INTERVAL_MS = 10_000;
export const DEFAULT_BASE_EJECTION_TIME_MS = 30_000;
export const DEFAULT_MAX_EJECTION_TIME_MS = 300_000;
export const DEFAULT_MAX_EJECTION_PERCENT = 10;

/** The largest google.protobuf.Duration, in seconds (10,000 years). */
const maxDurationSeconds = 315_576_000_000;
const maxUint32 = 0xffffffff;

/** A protobuf JSON duration ("10s", "0.25s") in milliseconds; a negative one is refused, as gRFC A50 says. */
function duration(field: string) {
  return z.string({ error: `${field} must be a duration string such as "10s" or "0.5s"` }).transform((text, ctx) => {
    const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
    if (m === null) {
      ctx.addIssue({ code: "custom", message: `${field} must be a duration written as seconds with an "s", such as "10s" or "0.5s"` });
      return z.NEVER;
    }
    if (m[1] !== undefined && /[1-9]/.test(`${m[2]}${m[3] ?? ""}`)) {
      ctx.addIssue({ code: "custom", message: `${field} must not be negative` });
      return z.NEVER;
    }
    const seconds = Number(m[2]);
    if (seconds > maxDurationSeconds) {
      ctx.addIssue({ code: "custom", message: `${field} is longer than the longest protobuf duration (${maxDurationSeconds}s)` });
      return z.NEVER;
    }
    return seconds * 1000 + Number((m[3] ?? "").padEnd(9, "0")) / 1e6;
  });
}

/** A google.protobuf.UInt32Value. */
function uint32(field: string) {
  return z
    .number({ error: `${field} must be a number` })
    .int({ error: `${field} must be a whole number` })
    .min(0, { error: `${field} must not be negative` })
    .max(maxUint32, { error: `${field} must be at most ${maxUint32}` });
}

/** A UInt32Value that gRFC A50 limits to 100. */
function percentage(field: string) {
  return uint32(field).max(100, { error: `${field} is a percentage: at most 100` });
}

const successRateEjectionSchema = z.object(
  {
    stdevFactor: uint32("stdevFactor").default(1900),
    enforcementPercentage: percentage("enforcementPercentage").default(100),
    minimumHosts: uint32("minimumHosts").default(5),
    requestVolume: uint32("requestVolume").default(100),
  },
  { error: "successRateEjection must be an object such as {} or { \"stdevFactor\": 1900 }" },
);

const failurePercentageEjectionSchema = z.object(
  {
    threshold: percentage("threshold").default(85),
    enforcementPercentage: percentage("enforcementPercentage").default(100),
    minimumHosts: uint32("minimumHosts").default(5),
    requestVolume: uint32("requestVolume").default(50),
  },
  { error: "failurePercentageEjection must be an object such as {} or { \"threshold\": 85 }" },
);

/** The child policy list, chosen and parsed by core as a service config's list is; its errors become this config's. */
const childPolicySchema = z
  .array(z.record(z.string(), z.unknown(), { error: "each entry of childPolicy is an object naming one policy" }), {
    error: (issue) =>
      issue.input === undefined
        ? 'childPolicy is required: the policy that balances over the endpoints, such as [{ "round_robin": {} }]'
        : 'childPolicy must be a list of policies, such as [{ "round_robin": {} }]',
  })
  .min(1, { error: 'childPolicy must name at least one policy, such as [{ "round_robin": {} }]' })
  .transform((list, ctx): ChosenBalancer => {
    try {
      return parseLoadBalancingConfig(list, "childPolicy");
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  });

/**
 * Validates an outlier detection config and fills in gRFC A50's defaults. Leaving out
 * both `successRateEjection` and `failurePercentageEjection` turns ejection (and call
 * counting) off. `maxEjectionTime` is raised to `baseEjectionTime` when it is shorter,
 * as A50's ejection time (base × multiplier, at most max(base, max)) implies. An
 * `interval` of 0 is refused: the checks would run back to back.
 */
export const outlierDetectionConfigSchema: z.ZodType<OutlierDetectionConfig> = z
  .object(
    {
      interval: duration("interval")
        .refine((ms) => ms > 0, { error: "interval must be greater than 0" })
        .default(DEFAULT_INTERVAL_MS),
      baseEjectionTime: duration("baseEjectionTime").default(DEFAULT_BASE_EJECTION_TIME_MS),
      maxEjectionTime: duration("maxEjectionTime").default(DEFAULT_MAX_EJECTION_TIME_MS),
      maxEjectionPercent: percentage("maxEjectionPercent").default(DEFAULT_MAX_EJECTION_PERCENT),
      successRateEjection: successRateEjectionSchema.optional(),
      failurePercentageEjection: failurePercentageEjectionSchema.optional(),
      childPolicy: childPolicySchema,
    },
    { error: "the outlier_detection_experimental config must be an object with at least a childPolicy" },
  )
  .transform(
    (c): OutlierDetectionConfig => ({
      intervalMs: c.interval,
      baseEjectionTimeMs: c.baseEjectionTime,
      maxEjectionTimeMs: Math.max(c.maxEjectionTime, c.baseEjectionTime),
      maxEjectionPercent: c.maxEjectionPercent,
      successRateEjection: c.successRateEjection,
      failurePercentageEjection: c.failurePercentageEjection,
      childPolicy: c.childPolicy,
    }),
  ) as unknown as z.ZodType<OutlierDetectionConfig>;

/** Whether the config turns on either kind of ejection; without one, nothing is counted or ejected. */
export function ejectionEnabled(config: OutlierDetectionConfig): boolean {
  return config.successRateEjection !== undefined || config.failurePercentageEjection !== undefined;
}
