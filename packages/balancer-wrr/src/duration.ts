/**
 * A protobuf JSON `google.protobuf.Duration` as a service config writes one: decimal
 * seconds with at most nine fractional digits and an "s" ("10s", "0.1s", "180s").
 */
import * as z from "zod";

const durationText = /^\d+(\.\d{1,9})?s$/;

/**
 * A non-negative duration string, parsed to milliseconds. `field` names the setting in
 * the error, so a config author sees which value to fix.
 */
export function durationMs(field: string): z.ZodType<number, string> {
  return z
    .string({ error: `${field} must be a duration string like "10s" or "0.1s"` })
    .regex(durationText, { error: `${field} must be a duration in seconds with an "s", like "10s" or "0.1s"` })
    .transform((s) => Number(s.slice(0, -1)) * 1000);
}
