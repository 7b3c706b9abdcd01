/**
 * gRFC A50's success-rate ejection: among the endpoints with at least `requestVolume`
 * calls in the last interval, those whose success rate is below
 * mean − stdev × stdevFactor / 1000 are ejected, each with `enforcementPercentage`
 * chance, while fewer than `maxEjectionPercent` of all endpoints are ejected.
 */
import type { SuccessRateEjectionConfig } from "./outlier-detection-config.js";
import { EjectionBudget } from "./ejection-budget.js";
import type { TrackedEndpoint } from "./tracked-endpoint.js";

/** The success rates' mean and the ejection threshold below it, for a check that ran. */
export interface SuccessRateCheck {
  readonly mean: number;
  readonly stdev: number;
  readonly threshold: number;
}

/**
 * Runs the check over `endpoints`, calling `eject` for each endpoint to eject.
 * Returns what it computed, or undefined when fewer than `minimumHosts` endpoints had
 * enough calls to judge.
 */
export function successRateEjection(
  endpoints: readonly TrackedEndpoint[],
  config: SuccessRateEjectionConfig,
  maxEjectionPercent: number,
  random: () => number,
  eject: (endpoint: TrackedEndpoint) => void,
): SuccessRateCheck | undefined {
  const rates: number[] = [];
  for (const e of endpoints) if (e.calls.volume >= config.requestVolume && e.calls.volume > 0) rates.push(e.calls.successes / e.calls.volume);
  if (rates.length === 0 || rates.length < config.minimumHosts) return undefined;
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  const variance = rates.reduce((sum, r) => sum + (r - mean) * (r - mean), 0) / rates.length;
  const stdev = Math.sqrt(variance);
  const threshold = mean - stdev * (config.stdevFactor / 1000);
  const budget = new EjectionBudget(endpoints, maxEjectionPercent);
  for (const e of endpoints) {
    if (budget.spent) break;
    const volume = e.calls.volume;
    if (volume < config.requestVolume || volume === 0) continue;
    if (e.calls.successes / volume < threshold && random() * 100 < config.enforcementPercentage) budget.eject(e, eject);
  }
  return { mean, stdev, threshold };
}
