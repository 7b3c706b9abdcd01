/**
 * The round_robin load-balancing policy, as grpc-go's: one subchannel per resolved
 * endpoint, all connected at once; calls rotate over those that are READY.
 */
import {
  Code,
  ConnectivityState,
  aggregateConnectivityState,
  GrpcError,
  constantPicker,
  registerBalancer,
  type Balancer,
  type BalancerBuilder,
  type BalancerClientConn,
  type ClientConnState,
  type Endpoint,
  type Picker,
  type Subchannel,
} from "@grpckit/core";
import { RoundRobinPicker } from "./round-robin-picker.js";

const queuePicker = constantPicker({ type: "queue" });
const noop = () => {};

interface Tracked {
  readonly sc: Subchannel;
  unwatch: () => void;
  /** The state round_robin counts it in: TRANSIENT_FAILURE sticks until it is READY again. */
  state: ConnectivityState;
}

/** Identifies an endpoint by its addresses, so an unchanged endpoint keeps its subchannel. */
function endpointKey(e: Endpoint): string {
  return e.addresses.map((a) => a.addr).join(",");
}

class RoundRobinBalancer implements Balancer<unknown> {
  private readonly tracked = new Map<string, Tracked>();
  private lastError: GrpcError | undefined;
  private closed = false;

  constructor(private readonly cc: BalancerClientConn) {}

  updateClientConnState({ resolverState }: ClientConnState<unknown>): void {
    if (this.closed) return;
    const endpoints = resolverState.endpoints.filter((e) => e.addresses.length > 0);
    if (endpoints.length === 0) {
      this.removeAll();
      this.lastError = undefined;
      this.resolverError(new GrpcError(Code.UNAVAILABLE, "name resolver returned no addresses"));
      this.cc.requestReresolution();
      return;
    }
    const wanted = new Map<string, Endpoint>();
    for (const e of endpoints) wanted.set(endpointKey(e), e);
    for (const [key, t] of this.tracked) {
      if (!wanted.has(key)) {
        this.tracked.delete(key);
        t.unwatch();
        t.sc.shutdown();
      }
    }
    const added: Subchannel[] = [];
    for (const [key, e] of wanted) {
      if (this.tracked.has(key)) continue;
      // Backends the service config health-checks (gRFC A17) count only while serving.
      const sc = this.cc.createSubchannel(e.addresses, { healthCheck: true });
      const t: Tracked = { sc, state: sc.state, unwatch: noop };
      t.unwatch = sc.watch((state, error) => this.onSubchannelState(t, state, error));
      this.tracked.set(key, t);
      added.push(sc);
    }
    this.publish();
    for (const sc of added) sc.connect();
  }

  private onSubchannelState(t: Tracked, state: ConnectivityState, error?: GrpcError): void {
    if (this.closed || state === ConnectivityState.SHUTDOWN) return;
    const was = t.state;
    if (error !== undefined) this.lastError = error;
    // A subchannel retrying after a failure still counts as failed (gRFC A61 sticky
    // TRANSIENT_FAILURE), so the channel does not flap back to CONNECTING.
    t.state = was === ConnectivityState.TRANSIENT_FAILURE && state === ConnectivityState.CONNECTING ? was : state;
    if (state === ConnectivityState.TRANSIENT_FAILURE || (was === ConnectivityState.READY && state !== ConnectivityState.READY)) {
      this.cc.requestReresolution();
    }
    if (state === ConnectivityState.IDLE) t.sc.connect();
    if (t.state !== was || state === ConnectivityState.TRANSIENT_FAILURE) this.publish();
  }

  private publish(): void {
    const ready: Subchannel[] = [];
    for (const t of this.tracked.values()) if (t.state === ConnectivityState.READY) ready.push(t.sc);
    const state = aggregateConnectivityState([...this.tracked.values()].map((t) => connectingIfIdle(t.state)));
    let picker: Picker;
    if (state === ConnectivityState.READY) picker = new RoundRobinPicker(ready);
    else if (state === ConnectivityState.TRANSIENT_FAILURE) picker = constantPicker({ type: "fail", error: this.failure() });
    else picker = queuePicker;
    this.cc.updateState({ state, picker });
  }

  private failure(): GrpcError {
    const why = this.lastError?.rawMessage ?? "no connection succeeded";
    return new GrpcError(Code.UNAVAILABLE, `round_robin: all ${this.tracked.size} backends are unavailable; last error: ${why}`);
  }

  resolverError(error: GrpcError): void {
    if (this.closed) return;
    // Backends already known keep serving; the error shows only when none can.
    for (const t of this.tracked.values()) if (t.state !== ConnectivityState.TRANSIENT_FAILURE) return;
    this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
  }

  exitIdle(): void {
    for (const t of this.tracked.values()) if (t.sc.state === ConnectivityState.IDLE) t.sc.connect();
  }

  close(): void {
    this.closed = true;
    this.removeAll();
  }

  private removeAll(): void {
    for (const t of this.tracked.values()) {
      t.unwatch();
      t.sc.shutdown();
    }
    this.tracked.clear();
  }
}

/** round_robin connects an IDLE subchannel at once, so it counts as CONNECTING. */
function connectingIfIdle(state: ConnectivityState): ConnectivityState {
  return state === ConnectivityState.IDLE ? ConnectivityState.CONNECTING : state;
}

/** The round_robin policy; name it with a channel's `loadBalancingPolicy: "round_robin"` once registered. */
export const roundRobinBalancer: BalancerBuilder = {
  name: "round_robin",
  build: (cc) => new RoundRobinBalancer(cc),
};

/** Registers round_robin in the process-wide balancer registry. */
export function registerRoundRobin(): void {
  registerBalancer(roundRobinBalancer);
}
