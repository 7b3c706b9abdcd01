/**
 * The least_request load-balancing policy (gRFC A48): one subchannel per resolved
 * endpoint, all connected at once; each call goes to the backend with the fewest
 * outstanding calls among `choiceCount` READY ones drawn at random.
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
import { DEFAULT_CHOICE_COUNT, leastRequestConfigSchema, type LeastRequestConfig } from "./least-request-config.js";
import { LeastRequestPicker, type LoadedBackend } from "./least-request-picker.js";

/** The name the policy registers under, as grpc-go and grpc-java register it. */
export const LEAST_REQUEST_POLICY_NAME = "least_request_experimental";

const queuePicker = constantPicker({ type: "queue" });
const noop = () => {};

interface Backend extends LoadedBackend {
  readonly subchannel: Subchannel;
  unwatch: () => void;
  /** The state least_request counts it in: TRANSIENT_FAILURE sticks until it is READY again. */
  state: ConnectivityState;
}

/** Identifies an endpoint by its addresses, so an unchanged endpoint keeps its subchannel and its count. */
function endpointKey(e: Endpoint): string {
  return e.addresses.map((a) => a.addr).join(",");
}

class LeastRequestBalancer implements Balancer<LeastRequestConfig> {
  private readonly backends = new Map<string, Backend>();
  private choiceCount = DEFAULT_CHOICE_COUNT;
  private lastError: GrpcError | undefined;
  private closed = false;

  constructor(private readonly cc: BalancerClientConn) {}

  updateClientConnState({ resolverState, config }: ClientConnState<LeastRequestConfig>): void {
    if (this.closed) return;
    this.choiceCount = config?.choiceCount ?? DEFAULT_CHOICE_COUNT;
    const endpoints = resolverState.endpoints.filter((e) => e.addresses.length > 0);
    if (endpoints.length === 0) {
      this.removeAll();
      this.lastError = undefined;
      this.resolverError(new GrpcError(Code.UNAVAILABLE, "least_request: the name resolver returned no addresses"));
      this.cc.requestReresolution();
      return;
    }
    const wanted = new Map<string, Endpoint>();
    for (const e of endpoints) wanted.set(endpointKey(e), e);
    // Backends no longer listed are let go; their calls in flight finish on their own.
    for (const [key, b] of this.backends) {
      if (!wanted.has(key)) {
        this.backends.delete(key);
        b.unwatch();
        b.subchannel.shutdown();
      }
    }
    const added: Subchannel[] = [];
    for (const [key, e] of wanted) {
      if (this.backends.has(key)) continue;
      // Backends the service config health-checks (gRFC A17) count only while serving.
      const subchannel = this.cc.createSubchannel(e.addresses, { healthCheck: true });
      const b: Backend = { subchannel, outstanding: 0, state: subchannel.state, unwatch: noop };
      b.unwatch = subchannel.watch((state, error) => this.onSubchannelState(b, state, error));
      this.backends.set(key, b);
      added.push(subchannel);
    }
    this.publish();
    // Connect only after the set is complete: state changes publish pickers over it.
    for (const sc of added) sc.connect();
  }

  private onSubchannelState(b: Backend, state: ConnectivityState, error?: GrpcError): void {
    if (this.closed || state === ConnectivityState.SHUTDOWN) return;
    const was = b.state;
    if (error !== undefined) this.lastError = error;
    // A subchannel retrying after a failure still counts as failed (gRFC A61 sticky
    // TRANSIENT_FAILURE), so the channel does not flap back to CONNECTING.
    b.state = was === ConnectivityState.TRANSIENT_FAILURE && state === ConnectivityState.CONNECTING ? was : state;
    if (state === ConnectivityState.TRANSIENT_FAILURE || (was === ConnectivityState.READY && state !== ConnectivityState.READY)) {
      this.cc.requestReresolution();
    }
    if (state === ConnectivityState.IDLE) b.subchannel.connect();
    if (b.state !== was || state === ConnectivityState.TRANSIENT_FAILURE) this.publish();
  }

  /** Publishes the aggregated state and a picker over the READY backends. */
  private publish(): void {
    const backends = [...this.backends.values()];
    // An IDLE backend is connected at once, so it counts as CONNECTING.
    const state = aggregateConnectivityState(
      backends.map((b) => (b.state === ConnectivityState.IDLE ? ConnectivityState.CONNECTING : b.state)),
    );
    let picker: Picker;
    if (state === ConnectivityState.READY) {
      const ready = backends.filter((b) => b.state === ConnectivityState.READY);
      picker = new LeastRequestPicker(ready, this.choiceCount);
    } else if (state === ConnectivityState.TRANSIENT_FAILURE) {
      picker = constantPicker({ type: "fail", error: this.failure() });
    } else {
      picker = queuePicker;
    }
    this.cc.updateState({ state, picker });
  }

  private failure(): GrpcError {
    const why = this.lastError?.rawMessage ?? "no connection succeeded";
    return new GrpcError(
      Code.UNAVAILABLE,
      `least_request: all ${this.backends.size} backends are unavailable; last error: ${why}`,
    );
  }

  resolverError(error: GrpcError): void {
    if (this.closed) return;
    // Backends already known keep serving; the error shows only when none can.
    for (const b of this.backends.values()) if (b.state !== ConnectivityState.TRANSIENT_FAILURE) return;
    this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
  }

  exitIdle(): void {
    for (const b of this.backends.values()) if (b.subchannel.state === ConnectivityState.IDLE) b.subchannel.connect();
  }

  close(): void {
    this.closed = true;
    this.removeAll();
  }

  private removeAll(): void {
    for (const b of this.backends.values()) {
      b.unwatch();
      b.subchannel.shutdown();
    }
    this.backends.clear();
  }
}

/**
 * The least_request policy; name it `least_request_experimental` in a channel's
 * `loadBalancingPolicy` or service config once registered.
 */
export const leastRequestBalancer: BalancerBuilder<LeastRequestConfig> = {
  name: LEAST_REQUEST_POLICY_NAME,
  configSchema: leastRequestConfigSchema,
  build: (cc) => new LeastRequestBalancer(cc),
};

/** Registers least_request in the process-wide balancer registry. */
export function registerLeastRequest(): void {
  registerBalancer(leastRequestBalancer as BalancerBuilder);
}
