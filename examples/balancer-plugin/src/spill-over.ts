/**
 * spill_over: a parent policy on core's endpoint sharding. Each resolved endpoint runs
 * its own pick_first child; calls take turns over the READY endpoints among the first
 * `primaryCount` of the resolver's list, and spill to the others only while none of
 * those is READY (a nearby zone first, a far one as a fallback).
 */
import {
  ConnectivityState,
  EndpointShardingBalancer,
  aggregateChildStates,
  pickFirstBalancer,
  type Balancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type BalancerClientConn,
  type BalancerState,
  type ClientConnState,
  type EndpointChildState,
  type GrpcError,
  type Picker,
  type PickInfo,
  type PickResult,
} from "@grpckit/core";
import * as z from "zod";

export interface SpillOverConfig {
  /** How many endpoints, from the first in the resolver's order, take calls while any of them is READY. */
  readonly primaryCount: number;
}

const configSchema: z.ZodType<SpillOverConfig> = z.object({
  primaryCount: z.number().int().min(1).default(1),
}) as unknown as z.ZodType<SpillOverConfig>;

class SpillOverBalancer implements Balancer<SpillOverConfig> {
  private readonly sharding: EndpointShardingBalancer;
  private primaryCount = 1;

  constructor(cc: BalancerClientConn, options: BalancerBuildOptions | undefined) {
    this.sharding = new EndpointShardingBalancer(cc, options, {
      childBuilder: pickFirstBalancer,
      // Called with every child's endpoint, state and picker whenever one changes.
      buildState: (children) => this.stateOf(children),
    });
  }

  updateClientConnState({ resolverState, config }: ClientConnState<SpillOverConfig>): void {
    this.primaryCount = config?.primaryCount ?? 1;
    // The config passed on is each child's: pick_first's, none here.
    this.sharding.updateClientConnState({ resolverState, config: undefined });
  }

  private stateOf(children: readonly EndpointChildState[]): BalancerState {
    const ready = (list: readonly EndpointChildState[]) => list.filter((c) => c.state === ConnectivityState.READY);
    const primaries = ready(children.slice(0, this.primaryCount));
    const chosen = primaries.length > 0 ? primaries : ready(children.slice(this.primaryCount));
    // Nothing READY: endpoint sharding's own state says whether calls wait or fail.
    if (chosen.length === 0) return aggregateChildStates(children);
    return { state: ConnectivityState.READY, picker: new TakeTurnsPicker(chosen.map((c) => c.picker)) };
  }

  resolverError(error: GrpcError): void {
    this.sharding.resolverError(error);
  }

  exitIdle(): void {
    this.sharding.exitIdle();
  }

  close(): void {
    this.sharding.close();
  }
}

/** Takes turns over the chosen children's pickers: each child's pick_first picks its one connection. */
class TakeTurnsPicker implements Picker {
  private next: number;

  constructor(private readonly pickers: readonly Picker[]) {
    this.next = Math.floor(Math.random() * pickers.length);
  }

  pick(info: PickInfo): PickResult {
    const picker = this.pickers[this.next];
    this.next = (this.next + 1) % this.pickers.length;
    return picker.pick(info);
  }
}

/** The spill_over policy's builder, to register under its name. */
export const spillOverBalancer: BalancerBuilder<SpillOverConfig> = {
  name: "spill_over",
  configSchema,
  build: (cc, options) => new SpillOverBalancer(cc, options),
};
