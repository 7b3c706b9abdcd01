/** The picker round_robin publishes while at least one endpoint is READY. */
import { constantPicker, type Picker, type PickInfo, type PickResult, type Subchannel } from "@grpckit/core";

/**
 * Hands out the READY endpoints in turn, starting at a random one so that many
 * clients given the same list do not all hit the same backend first. Each is a READY
 * child policy's picker (as round_robin gives it) or a READY subchannel.
 */
export class RoundRobinPicker implements Picker {
  private readonly pickers: Picker[];
  private next: number;

  constructor(ready: readonly (Picker | Subchannel)[]) {
    if (ready.length === 0) throw new RangeError("RoundRobinPicker needs at least one READY endpoint");
    this.pickers = ready.map((r) => (isPicker(r) ? r : constantPicker({ type: "pick", subchannel: r })));
    this.next = Math.floor(Math.random() * ready.length);
  }

  pick(info: PickInfo): PickResult {
    const picker = this.pickers[this.next];
    this.next = this.next + 1 === this.pickers.length ? 0 : this.next + 1;
    return picker.pick(info);
  }
}

function isPicker(r: Picker | Subchannel): r is Picker {
  return typeof (r as Partial<Picker>).pick === "function";
}
