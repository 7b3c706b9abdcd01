/**
 * The built-in pick_first policy: one subchannel over all resolved addresses, tried in
 * order; every call goes to the connection that succeeded. It reconnects when a call
 * arrives after the connection was lost.
 */
import { Code } from "../status/code.js";
import { ConnectivityState } from "./connectivity-state.js";
import { GrpcError } from "../status/grpc-error.js";
import * as z from "zod";
import {
  constantPicker,
  type Balancer,
  type BalancerBuilder,
  type BalancerClientConn,
  type ClientConnState,
  type Picker,
  type Subchannel,
} from "./balancer.js";
import type { Address } from "../resolver/resolver.js";

const queuePicker = constantPicker({ type: "queue" });

class PickFirstBalancer implements Balancer<PickFirstConfig | undefined> {
  private subchannel: Subchannel | undefined;
  private unwatch: (() => void) | undefined;
  private failing = false;

  constructor(private readonly cc: BalancerClientConn) {}

  updateClientConnState({ resolverState, config }: ClientConnState<PickFirstConfig | undefined>): void {
    let addresses = resolverState.endpoints.flatMap((e) => e.addresses);
    // gRFC A62: shuffling spreads clients that resolve the same list over its addresses.
    if (config?.shuffleAddressList === true) addresses = shuffled(addresses);
    if (addresses.length === 0) {
      this.resolverError(new GrpcError(Code.UNAVAILABLE, "name resolver returned no addresses"));
      return;
    }
    if (this.subchannel !== undefined && sameAddresses(this.subchannel.addresses, addresses)) return;
    const old = this.subchannel;
    const oldUnwatch = this.unwatch;
    const sc = this.cc.createSubchannel(addresses);
    this.subchannel = sc;
    this.unwatch = sc.watch((state, error) => this.onSubchannelState(sc, state, error));
    oldUnwatch?.();
    old?.shutdown();
    this.failing = false;
    this.cc.updateState({ state: ConnectivityState.CONNECTING, picker: queuePicker });
    sc.connect();
  }

  private onSubchannelState(sc: Subchannel, state: ConnectivityState, error?: GrpcError): void {
    if (sc !== this.subchannel) return;
    // Sticky TRANSIENT_FAILURE (gRFC A62): retries do not report CONNECTING, so calls
    // keep failing fast until a connection succeeds.
    if (this.failing && state === ConnectivityState.CONNECTING) return;
    this.failing = state === ConnectivityState.TRANSIENT_FAILURE;
    let picker: Picker;
    switch (state) {
      case ConnectivityState.READY:
        picker = constantPicker({ type: "pick", subchannel: sc });
        break;
      case ConnectivityState.CONNECTING:
        picker = queuePicker;
        break;
      case ConnectivityState.TRANSIENT_FAILURE:
        picker = constantPicker({
          type: "fail",
          error: new GrpcError(Code.UNAVAILABLE, error?.rawMessage ?? "connection failed"),
        });
        this.cc.requestReresolution();
        break;
      case ConnectivityState.IDLE:
        // The connection went away; reconnect when the next call asks for it.
        picker = {
          pick: () => {
            sc.connect();
            return { type: "queue" };
          },
        };
        this.cc.requestReresolution();
        break;
      default:
        return;
    }
    this.cc.updateState({ state, picker });
  }

  resolverError(error: GrpcError): void {
    if (this.subchannel === undefined || this.subchannel.state !== ConnectivityState.READY) {
      this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
    }
  }

  exitIdle(): void {
    this.subchannel?.connect();
  }

  close(): void {
    this.unwatch?.();
    this.subchannel?.shutdown();
    this.subchannel = undefined;
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function sameAddresses(a: readonly Address[], b: readonly Address[]): boolean {
  return a.length === b.length && a.every((x, i) => x.addr === b[i].addr);
}

/** pick_first's config in a service config's loadBalancingConfig. */
export interface PickFirstConfig {
  shuffleAddressList?: boolean;
}

const pickFirstConfigSchema: z.ZodType<PickFirstConfig> = z.looseObject({ shuffleAddressList: z.boolean().optional() });

export const pickFirstBalancer: BalancerBuilder<PickFirstConfig> = {
  name: "pick_first",
  configSchema: pickFirstConfigSchema,
  build: (cc) => new PickFirstBalancer(cc) as Balancer<PickFirstConfig>,
};
