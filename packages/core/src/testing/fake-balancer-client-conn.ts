/** A BalancerClientConn that records what a balancer does to it. */
import type { BalancerClientConn, BalancerState, Picker, SubchannelCreateOptions } from "../balancer/balancer.js";
import type { ConnectivityState } from "../balancer/connectivity-state.js";
import type { Address } from "../resolver/resolver.js";
import { FakeSubchannel } from "./fake-subchannel.js";

/** The fake channel a balancer under test is built with. */
export interface FakeBalancerClientConn extends BalancerClientConn {
  /** Every subchannel created, in order (shut down ones included). */
  readonly subchannels: FakeSubchannel[];
  /** Every {state, picker} published, in order. */
  readonly states: BalancerState[];
  /** How many times the balancer asked for re-resolution. */
  readonly reresolutionRequests: number;
  /** The last published state, or undefined before the first. */
  readonly state: ConnectivityState | undefined;
  /** The last published picker; throws when none was published yet. */
  readonly picker: Picker;
  /** The subchannels not shut down, in creation order. */
  live(): FakeSubchannel[];
  /** The live subchannel whose first address is `addr`; throws when there is none. */
  subchannelFor(addr: string): FakeSubchannel;
}

/** Creates an empty recorder; pass it to `builder.build(cc)`. */
export function createFakeBalancerClientConn(): FakeBalancerClientConn {
  const subchannels: FakeSubchannel[] = [];
  const states: BalancerState[] = [];
  let reresolutions = 0;
  const live = () => subchannels.filter((sc) => sc.shutdownCount === 0);
  return {
    subchannels,
    states,
    get reresolutionRequests() {
      return reresolutions;
    },
    get state() {
      return states.at(-1)?.state;
    },
    get picker() {
      const last = states.at(-1);
      if (last === undefined) throw new Error("the balancer has not published a picker yet");
      return last.picker;
    },
    live,
    subchannelFor(addr) {
      const sc = live().find((s) => s.addresses[0]?.addr === addr);
      if (sc === undefined) {
        const known = live().map((s) => s.addr).join(", ") || "none";
        throw new Error(`no live subchannel for ${addr} (live: ${known})`);
      }
      return sc;
    },
    createSubchannel(addresses: readonly Address[], options?: SubchannelCreateOptions) {
      const sc = new FakeSubchannel(addresses, options);
      subchannels.push(sc);
      return sc;
    },
    updateState(state) {
      states.push(state);
    },
    requestReresolution() {
      reresolutions++;
    },
  };
}
