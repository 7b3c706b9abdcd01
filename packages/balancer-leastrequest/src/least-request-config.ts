/**
 * least_request's configuration, as gRFC A48 gives it:
 * `{ "least_request_experimental": { "choiceCount": 3 } }`.
 */
import * as z from "zod";

/** The parsed configuration a least_request balancer receives. */
export interface LeastRequestConfig {
  /** How many READY backends each pick draws and compares: 2 to 10, 2 by default. */
  readonly choiceCount: number;
}

/** Picks draw this many backends when the config does not say. */
export const DEFAULT_CHOICE_COUNT = 2;
/** A larger `choiceCount` is lowered to this: more draws cost time and gain little. */
export const MAX_CHOICE_COUNT = 10;

/**
 * Validates a least_request config. A `choiceCount` below 2 would make the policy
 * random, so it is refused; one above 10 is clamped to 10 (gRFC A48, as grpc-go does).
 */
export const leastRequestConfigSchema: z.ZodType<LeastRequestConfig> = z.looseObject({
  choiceCount: z
    .number({ error: "choiceCount must be a number" })
    .int({ error: "choiceCount must be a whole number" })
    .min(DEFAULT_CHOICE_COUNT, { error: `choiceCount must be at least ${DEFAULT_CHOICE_COUNT}` })
    .default(DEFAULT_CHOICE_COUNT)
    .transform((n) => Math.min(n, MAX_CHOICE_COUNT)),
}) as unknown as z.ZodType<LeastRequestConfig>;
