/** The picker least_request publishes while at least one backend is READY. */
import type { PickResult, Picker, Subchannel } from "@grpckit/core";

/** A backend as the picker sees it: its subchannel and the calls it has outstanding. */
export interface LoadedBackend {
  readonly subchannel: Subchannel;
  /** Calls picked for this backend whose attempt has not ended yet. */
  outstanding: number;
}

/**
 * Draws `choiceCount` READY backends at random (with replacement, as grpc-go does) and
 * takes the one with the fewest outstanding calls; on a tie the first drawn wins.
 * The counter lives on the backend, not the picker, so it carries over when a new
 * picker is published while calls are in flight.
 */
export class LeastRequestPicker implements Picker {
  constructor(
    private readonly ready: readonly LoadedBackend[],
    private readonly choiceCount: number,
    private readonly random: () => number = Math.random,
  ) {
    if (ready.length === 0) throw new RangeError("LeastRequestPicker needs at least one READY backend");
  }

  pick(): PickResult {
    const ready = this.ready;
    let best = ready[Math.floor(this.random() * ready.length)];
    for (let i = 1; i < this.choiceCount; i++) {
      const other = ready[Math.floor(this.random() * ready.length)];
      if (other.outstanding < best.outstanding) best = other;
    }
    const chosen = best;
    chosen.outstanding++;
    let done = false;
    return {
      type: "pick",
      subchannel: chosen.subchannel,
      onDone: () => {
        // Core calls onDone once per attempt; the guard keeps the count right regardless.
        if (done) return;
        done = true;
        chosen.outstanding--;
      },
    };
  }
}
