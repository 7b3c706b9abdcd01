/**
 * gRFC A50's limit on ejections: a check stops ejecting once `maxEjectionPercent` of
 * all endpoints are ejected. Counted once per check and kept as it ejects, so a check
 * over many endpoints stays linear.
 */
import type { TrackedEndpoint } from "./tracked-endpoint.js";

export class EjectionBudget {
  private ejected = 0;
  private readonly total: number;

  constructor(
    endpoints: readonly TrackedEndpoint[],
    private readonly maxEjectionPercent: number,
  ) {
    this.total = endpoints.length;
    for (const e of endpoints) if (e.ejected) this.ejected++;
  }

  /** True once the ejected endpoints make up `maxEjectionPercent` or more of them all. */
  get spent(): boolean {
    return this.total === 0 || (this.ejected * 100) / this.total >= this.maxEjectionPercent;
  }

  /** Ejects `endpoint` through `eject`, counting it if it was not ejected already. */
  eject(endpoint: TrackedEndpoint, eject: (endpoint: TrackedEndpoint) => void): void {
    const was = endpoint.ejected;
    eject(endpoint);
    if (!was && endpoint.ejected) this.ejected++;
  }
}
