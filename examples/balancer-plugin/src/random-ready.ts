/**
 * random_ready: each call goes to a READY backend drawn at random. The smallest
 * complete policy: one subchannel per endpoint, a published picker over the READY
 * ones, a config validated by a zod schema, all on @grpckit/core's public API.
 */
import {
  Code,
  ConnectivityState,
  aggregateConnectivityState,
  GrpcError,
  constantPicker,
  type Balancer,
  type BalancerBuilder,
  type BalancerClientConn,
  type ClientConnState,
  type Picker,
  type PickResult,
  type Subchannel,
} from "@grpckit/core";
import * as z from "zod";

export interface RandomReadyConfig {
  /** Backends whose address is listed here take no calls while another is READY. */
  readonly avoid: readonly string[];
}

const configSchema: z.ZodType<RandomReadyConfig> = z.object({
  avoid: z.array(z.string()).default([]),
}) as unknown as z.ZodType<RandomReadyConfig>;

class RandomReadyBalancer implements Balancer<RandomReadyConfig> {
  private subchannels = new Map<string, Subchannel>();
  private avoid: readonly string[] = [];
  private closed = false;

  constructor(private readonly cc: BalancerClientConn) {}

  updateClientConnState({ resolverState, config }: ClientConnState<RandomReadyConfig>): void {
    this.avoid = config?.avoid ?? [];
    const next = new Map<string, Subchannel>();
    for (const endpoint of resolverState.endpoints) {
      const key = endpoint.addresses.map((a) => a.addr).join(",");
      const sc = this.subchannels.get(key) ?? this.cc.createSubchannel(endpoint.addresses);
      if (!this.subchannels.has(key)) sc.watch(() => this.publish());
      next.set(key, sc);
    }
    const previous = this.subchannels;
    this.subchannels = next;
    for (const [key, sc] of previous) if (!next.has(key)) sc.shutdown();
    for (const sc of next.values()) sc.connect();
    this.publish();
  }

  /** Publishes the channel's state and a picker; called on every subchannel state change. */
  private publish(): void {
    if (this.closed) return;
    const all = [...this.subchannels.entries()];
    // An IDLE subchannel (its connection was lost) is connected again at once.
    for (const [, sc] of all) if (sc.state === ConnectivityState.IDLE) sc.connect();
    const state = aggregateConnectivityState(all.map(([, sc]) => sc.state));
    if (all.length === 0 || state === ConnectivityState.TRANSIENT_FAILURE) {
      const error = new GrpcError(Code.UNAVAILABLE, `random_ready: none of ${all.length} backends is reachable`);
      this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
      return;
    }
    const ready = all.filter(([, sc]) => sc.state === ConnectivityState.READY);
    if (ready.length === 0) {
      this.cc.updateState({ state, picker: constantPicker({ type: "queue" }) });
      return;
    }
    const preferred = ready.filter(([key]) => !this.avoid.includes(key));
    const chosen = (preferred.length > 0 ? preferred : ready).map(([, sc]) => sc);
    this.cc.updateState({ state: ConnectivityState.READY, picker: new RandomReadyPicker(chosen) });
  }

  resolverError(error: GrpcError): void {
    if (this.subchannels.size === 0) {
      this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
    }
  }

  exitIdle(): void {
    for (const sc of this.subchannels.values()) sc.connect();
  }

  close(): void {
    this.closed = true;
    for (const sc of this.subchannels.values()) sc.shutdown();
    this.subchannels.clear();
  }
}

/** A picker is an immutable snapshot: the balancer publishes a new one when the READY set changes. */
class RandomReadyPicker implements Picker {
  constructor(private readonly ready: readonly Subchannel[]) {}

  pick(): PickResult {
    return { type: "pick", subchannel: this.ready[Math.floor(Math.random() * this.ready.length)] };
  }
}

/** The random_ready policy's builder, to register under its name. */
export const randomReadyBalancer: BalancerBuilder<RandomReadyConfig> = {
  name: "random_ready",
  configSchema,
  build: (cc) => new RandomReadyBalancer(cc),
};
