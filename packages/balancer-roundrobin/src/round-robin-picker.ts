/** The picker round_robin publishes while at least one subchannel is READY. */
import type { Picker, PickResult, Subchannel } from "@grpckit/core";

/**
 * Hands out the READY subchannels in turn, starting at a random one so that many
 * clients given the same list do not all hit the same backend first.
 */
export class RoundRobinPicker implements Picker {
  private readonly results: PickResult[];
  private next: number;

  constructor(ready: readonly Subchannel[]) {
    if (ready.length === 0) throw new RangeError("RoundRobinPicker needs at least one READY subchannel");
    this.results = ready.map((subchannel) => ({ type: "pick", subchannel }));
    this.next = Math.floor(Math.random() * ready.length);
  }

  pick(): PickResult {
    const r = this.results[this.next];
    this.next = this.next + 1 === this.results.length ? 0 : this.next + 1;
    return r;
  }
}
