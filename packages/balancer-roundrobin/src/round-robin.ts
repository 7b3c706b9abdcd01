/**
 * The round_robin load-balancing policy, as grpc-go's: endpoint sharding over
 * pick_first, one child per resolved endpoint, all connected at once; calls rotate
 * over the endpoints that are READY.
 */
import {
  Code,
  ConnectivityState,
  EndpointShardingBalancer,
  GrpcError,
  aggregateConnectivityState,
  constantPicker,
  pickFirstBalancer,
  registerBalancer,
  type Balancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type BalancerClientConn,
  type BalancerState,
  type ClientConnState,
  type EndpointChildState,
} from "@grpckit/core";
import { RoundRobinPicker } from "./round-robin-picker.js";

const queuePicker = constantPicker({ type: "queue" });

class RoundRobinBalancer implements Balancer<unknown> {
  private readonly sharding: EndpointShardingBalancer;
  /** The newest connection error of any backend, for the message calls fail with. */
  private lastError: GrpcError | undefined;
  private closed = false;

  constructor(
    private readonly cc: BalancerClientConn,
    options: BalancerBuildOptions | undefined,
  ) {
    const children: BalancerClientConn = {
      // Backends the service config health-checks (gRFC A17) count only while serving.
      createSubchannel: (addresses, createOptions) => {
        const sc = cc.createSubchannel(addresses, { ...createOptions, healthCheck: true });
        sc.watch((_, error) => {
          if (error !== undefined) this.lastError = error;
        });
        return sc;
      },
      requestReresolution: () => cc.requestReresolution(),
      updateState: (state) => cc.updateState(state),
    };
    // Core's pick_first (one subchannel over the endpoint's addresses), whichever
    // pick_first is registered, so each endpoint keeps one subchannel across reconnects.
    this.sharding = new EndpointShardingBalancer(children, options, {
      childBuilder: pickFirstBalancer,
      buildState: (c) => this.stateOf(c),
    });
  }

  updateClientConnState({ resolverState }: ClientConnState<unknown>): void {
    if (this.closed) return;
    if (!resolverState.endpoints.some((e) => e.addresses.length > 0)) this.lastError = undefined;
    this.sharding.updateClientConnState({ resolverState, config: undefined });
  }

  private stateOf(children: readonly EndpointChildState[]): BalancerState {
    // An IDLE endpoint is reconnected at once, so it counts as CONNECTING.
    const state = aggregateConnectivityState(children.map((c) => (c.state === ConnectivityState.IDLE ? ConnectivityState.CONNECTING : c.state)));
    if (state === ConnectivityState.READY) {
      return { state, picker: new RoundRobinPicker(children.filter((c) => c.state === ConnectivityState.READY).map((c) => c.picker)) };
    }
    if (state === ConnectivityState.TRANSIENT_FAILURE) {
      const why = this.lastError?.rawMessage ?? "no connection succeeded";
      const error = new GrpcError(Code.UNAVAILABLE, `round_robin: all ${children.length} backends are unavailable; last error: ${why}`);
      return { state, picker: constantPicker({ type: "fail", error }) };
    }
    return { state, picker: queuePicker };
  }

  resolverError(error: GrpcError): void {
    if (this.closed) return;
    const children = this.sharding.children;
    // Backends already known keep serving, and keep trying; the error shows only when none can.
    if (children.some((c) => c.state !== ConnectivityState.TRANSIENT_FAILURE)) return;
    if (children.length === 0) this.sharding.resolverError(error);
    else this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
  }

  exitIdle(): void {
    this.sharding.exitIdle();
  }

  close(): void {
    this.closed = true;
    this.sharding.close();
  }
}

/** The round_robin policy; name it with a channel's `loadBalancingPolicy: "round_robin"` once registered. */
export const roundRobinBalancer: BalancerBuilder = {
  name: "round_robin",
  build: (cc, options) => new RoundRobinBalancer(cc, options),
};

/** Registers round_robin in the process-wide balancer registry. */
export function registerRoundRobin(): void {
  registerBalancer(roundRobinBalancer);
}
