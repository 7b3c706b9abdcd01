/** The picker weighted_round_robin publishes while at least one backend is READY. */
import type { PickDoneInfo, PickResult, Picker, Subchannel } from "@grpckit/core";
import type { LoadReportValues } from "./endpoint-weight.js";
import { schedulerFor } from "./scheduler.js";
import type { Scheduler } from "./edf-scheduler.js";

/** A READY backend as the picker sees it. */
export interface WeightedBackend {
  readonly subchannel: Subchannel;
  /** The weight to schedule it with; 0 while its weight is not known. */
  readonly weight: number;
  /**
   * Hears the ORCA load report each call picked for this backend ends with; left out
   * when reports come out of band instead.
   */
  readonly onLoadReport?: (report: LoadReportValues) => void;
}

/**
 * Spreads calls over READY backends in proportion to their weights (an EDF schedule),
 * or round robin while fewer than two weights are known. A snapshot: the balancer
 * publishes a new picker when the weights change.
 */
export class WeightedRoundRobinPicker implements Picker {
  private readonly results: PickResult[];
  private readonly scheduler: Scheduler;

  constructor(backends: readonly WeightedBackend[], random: () => number = Math.random) {
    if (backends.length === 0) throw new RangeError("WeightedRoundRobinPicker needs at least one READY backend");
    // One result per backend, made once: a pick allocates nothing.
    this.results = backends.map(({ subchannel, onLoadReport }): PickResult => {
      if (onLoadReport === undefined) return { type: "pick", subchannel };
      return {
        type: "pick",
        subchannel,
        onDone: (info: PickDoneInfo) => {
          if (info.loadReport !== undefined) onLoadReport(info.loadReport);
        },
      };
    });
    this.scheduler = schedulerFor(
      backends.map((b) => b.weight),
      random,
    );
  }

  pick(): PickResult {
    return this.results[this.scheduler.next()];
  }
}
