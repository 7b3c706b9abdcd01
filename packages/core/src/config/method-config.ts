/**
 * Per-method settings of a service config (doc/service_config.md, gRFC A6): timeout,
 * waitForReady, message size limits, and a retry or hedging policy, chosen by the most
 * specific name that matches a call's method. Parsed once when the config arrives.
 */
import * as z from "zod";
import { Code } from "../status/code.js";

/** At most this many attempts per call by default, whatever a policy asks for (gRFC A6); a channel may set another cap. */
export const maxCallAttempts = 5;

/** What a channel allows of the retry and hedging policies its service config names. */
export interface CallAttemptLimits {
  /** The most attempts a call makes, whatever a policy asks for; 5 by default. */
  readonly maxCallAttempts?: number;
  /** False drops every retryPolicy and hedgingPolicy (transparent retries still happen). */
  readonly retries?: boolean;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  readonly retryableStatusCodes: ReadonlySet<Code>;
}

export interface HedgingPolicy {
  readonly maxAttempts: number;
  readonly hedgingDelayMs: number;
  readonly nonFatalStatusCodes: ReadonlySet<Code>;
}

/** What a service config says about one method. */
export interface MethodConfig {
  readonly timeoutMs?: number;
  readonly waitForReady?: boolean;
  readonly maxRequestMessageBytes?: number;
  readonly maxResponseMessageBytes?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly hedgingPolicy?: HedgingPolicy;
}

export interface RetryThrottling {
  readonly maxTokens: number;
  readonly tokenRatio: number;
}

/** A protobuf JSON duration: "1.5s", "0.000340s". */
const durationSchema = z
  .string()
  .regex(/^\d+(\.\d{1,9})?s$/, { message: 'a duration is written as seconds with an "s", like "1.5s"' })
  .transform((s) => Number(s.slice(0, -1)) * 1000);

const codeNames = new Map(Object.entries(Code).filter(([, v]) => typeof v === "number") as [string, Code][]);

const statusCodeSchema = z.union([z.string(), z.number().int()]).transform((v, ctx) => {
  const code = typeof v === "number" ? (v >= 0 && v <= 16 ? (v as Code) : undefined) : codeNames.get(v.toUpperCase());
  if (code === undefined) {
    ctx.addIssue({ code: "custom", message: `unknown status code ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return code;
});

const positive = (what: string) => (ms: number) => ms > 0 || `${what} must be greater than 0`;

const retryPolicySchema = z.object({
  maxAttempts: z.number().int().refine((n) => n > 1, { message: "maxAttempts must be greater than 1" }),
  initialBackoff: durationSchema.refine(positive("initialBackoff")),
  maxBackoff: durationSchema.refine(positive("maxBackoff")),
  backoffMultiplier: z.number().refine((n) => n > 0, { message: "backoffMultiplier must be greater than 0" }),
  retryableStatusCodes: z.array(statusCodeSchema).min(1, { message: "retryableStatusCodes must not be empty" }),
});

const hedgingPolicySchema = z.object({
  maxAttempts: z.number().int().refine((n) => n > 1, { message: "maxAttempts must be greater than 1" }),
  hedgingDelay: durationSchema.optional(),
  nonFatalStatusCodes: z.array(statusCodeSchema).optional(),
});

const nameSchema = z.object({ service: z.string().optional(), method: z.string().optional() });

const byteCount = z.number().int().nonnegative();

export const methodConfigSchema = z
  .object({
    name: z.array(nameSchema).optional(),
    timeout: durationSchema.optional(),
    waitForReady: z.boolean().optional(),
    maxRequestMessageBytes: byteCount.optional(),
    maxResponseMessageBytes: byteCount.optional(),
    retryPolicy: retryPolicySchema.optional(),
    hedgingPolicy: hedgingPolicySchema.optional(),
  })
  .refine((m) => m.retryPolicy === undefined || m.hedgingPolicy === undefined, {
    message: "a method config may have a retryPolicy or a hedgingPolicy, not both",
  });

export const retryThrottlingSchema = z.object({
  maxTokens: z.number().refine((n) => n > 0 && n <= 1000, { message: "maxTokens must be in (0, 1000]" }),
  tokenRatio: z.number().refine((n) => n > 0, { message: "tokenRatio must be greater than 0" }),
});

/** Method configs by name, looked up per call: "/service/method", then "/service/", then the default. */
export class MethodConfigTable {
  private constructor(private readonly byName: ReadonlyMap<string, MethodConfig>) {}

  static readonly empty = new MethodConfigTable(new Map());

  /** Builds the table; throws an Error naming a duplicate or malformed name. */
  static from(entries: readonly z.output<typeof methodConfigSchema>[], limits: CallAttemptLimits = {}): MethodConfigTable {
    const byName = new Map<string, MethodConfig>();
    for (const entry of entries) {
      const config = toMethodConfig(entry, limits);
      for (const n of entry.name ?? []) {
        const service = n.service ?? "";
        const method = n.method ?? "";
        if (service === "" && method !== "") throw new Error(`methodConfig name with method "${method}" has no service`);
        const key = service === "" ? "" : method === "" ? `/${service}/` : `/${service}/${method}`;
        if (byName.has(key)) throw new Error(`methodConfig names ${key === "" ? "the default" : key} more than once`);
        byName.set(key, config);
      }
    }
    return new MethodConfigTable(byName);
  }

  get isEmpty(): boolean {
    return this.byName.size === 0;
  }

  /** The config for a call to `path` ("/pkg.Service/Method"), or undefined. */
  lookup(path: string): MethodConfig | undefined {
    if (this.byName.size === 0) return undefined;
    return this.byName.get(path) ?? this.byName.get(path.slice(0, path.lastIndexOf("/") + 1)) ?? this.byName.get("");
  }
}

function toMethodConfig(m: z.output<typeof methodConfigSchema>, limits: CallAttemptLimits): MethodConfig {
  const retries = limits.retries ?? true;
  const cap = limits.maxCallAttempts ?? maxCallAttempts;
  const r = retries ? m.retryPolicy : undefined;
  const h = retries ? m.hedgingPolicy : undefined;
  return {
    timeoutMs: m.timeout,
    waitForReady: m.waitForReady,
    maxRequestMessageBytes: m.maxRequestMessageBytes,
    maxResponseMessageBytes: m.maxResponseMessageBytes,
    retryPolicy:
      r === undefined
        ? undefined
        : {
            maxAttempts: Math.min(r.maxAttempts, cap),
            initialBackoffMs: r.initialBackoff,
            maxBackoffMs: r.maxBackoff,
            backoffMultiplier: r.backoffMultiplier,
            retryableStatusCodes: new Set(r.retryableStatusCodes),
          },
    hedgingPolicy:
      h === undefined
        ? undefined
        : {
            maxAttempts: Math.min(h.maxAttempts, cap),
            hedgingDelayMs: h.hedgingDelay ?? 0,
            nonFatalStatusCodes: new Set(h.nonFatalStatusCodes ?? []),
          },
  };
}
