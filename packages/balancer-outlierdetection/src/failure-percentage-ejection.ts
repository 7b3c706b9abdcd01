/**
 * gRFC A50's failure-percentage ejection: among the endpoints with at least
 * `requestVolume` calls in the last interval, those with more than `threshold` percent
 * of their calls failed are ejected, each with `enforcementPercentage` chance, while
 * fewer than `maxEjectionPercent` of all endpoints are ejected.
 */
import type { FailurePercentageEjectionConfig } from "./outlier-detection-config.js";
import { EjectionBudget } from "./ejection-budget.js";
import type { TrackedEndpoint } from "./tracked-endpoint.js";

/**
 * Runs the check over `endpoints`, calling `eject` for each endpoint to eject. Returns
 * false when fewer than `minimumHosts` endpoints had enough calls to judge.
 */
export function failurePercentageEjection(
  endpoints: readonly TrackedEndpoint[],
  config: FailurePercentageEjectionConfig,
  maxEjectionPercent: number,
  random: () => number,
  eject: (endpoint: TrackedEndpoint) => void,
): boolean {
  let judged = 0;
  for (const e of endpoints) if (e.calls.volume >= config.requestVolume && e.calls.volume > 0) judged++;
  if (judged === 0 || judged < config.minimumHosts) return false;
  const budget = new EjectionBudget(endpoints, maxEjectionPercent);
  for (const e of endpoints) {
    if (budget.spent) break;
    const volume = e.calls.volume;
    if (volume < config.requestVolume || volume === 0) continue;
    if ((e.calls.failures * 100) / volume > config.threshold && random() * 100 < config.enforcementPercentage) budget.eject(e, eject);
  }
  return true;
}
