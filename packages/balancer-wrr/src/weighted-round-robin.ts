/**
 * The weighted_round_robin load-balancing policy (gRFC A58): one subchannel per
 * resolved endpoint, all connected at once, as round_robin; each backend's weight comes
 * from the ORCA load reports it sends (in call trailers, or out of band on an
 * OpenRcaService stream), and calls are spread in proportion to the weights by an EDF
 * scheduler rebuilt every `weightUpdatePeriod`.
 */
import {
  Code,
  ConnectivityState,
  aggregateConnectivityState,
  GrpcError,
  constantPicker,
  registerBalancer,
  type Balancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type BalancerClientConn,
  type ClientConnState,
  type Endpoint,
  type Logger,
  type Picker,
  type Subchannel,
} from "@grpckit/core";
import { registerOobLoadReportListener } from "@grpckit/core/orca";
import { EndpointWeight, type LoadReportValues } from "./endpoint-weight.js";
import { DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG, weightedRoundRobinConfigSchema, type WeightedRoundRobinConfig } from "./wrr-config.js";
import { WeightedRoundRobinPicker, type WeightedBackend } from "./wrr-picker.js";

/** The name the policy registers under, as grpc-go and grpc-js register it. */
export const WEIGHTED_ROUND_ROBIN_POLICY_NAME = "weighted_round_robin";

const queuePicker = constantPicker({ type: "queue" });
const noop = () => {};

/** Milliseconds on a monotonic clock, so a wall-clock change neither expires nor revives weights. */
const monotonicNow = () => performance.now();

interface Backend {
  readonly subchannel: Subchannel;
  readonly weight: EndpointWeight;
  /** Feeds a load report from this backend into its weight. */
  readonly onLoadReport: (report: LoadReportValues) => void;
  unwatch: () => void;
  /** Stops this backend's out-of-band report listener; undefined when none runs. */
  stopOob: (() => void) | undefined;
  /** The state weighted_round_robin counts it in: TRANSIENT_FAILURE sticks until it is READY again. */
  state: ConnectivityState;
}

/** Identifies an endpoint by its addresses, so an unchanged endpoint keeps its subchannel and its weight. */
function endpointKey(e: Endpoint): string {
  return e.addresses.map((a) => a.addr).join(",");
}

class WeightedRoundRobinBalancer implements Balancer<WeightedRoundRobinConfig> {
  private readonly backends = new Map<string, Backend>();
  private config: WeightedRoundRobinConfig = DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG;
  private timer: ReturnType<typeof setInterval> | undefined;
  private timerPeriodMs = 0;
  /** The READY backends and weights of the last picker published, to republish only when a weight changed. */
  private scheduled: { readonly backends: readonly Backend[]; readonly weights: readonly number[] } | undefined;
  private lastError: GrpcError | undefined;
  private closed = false;

  constructor(
    private readonly cc: BalancerClientConn,
    private readonly logger: Logger | undefined,
  ) {}

  updateClientConnState({ resolverState, config }: ClientConnState<WeightedRoundRobinConfig>): void {
    if (this.closed) return;
    const previous = this.config;
    this.config = config ?? DEFAULT_WEIGHTED_ROUND_ROBIN_CONFIG;
    const endpoints = resolverState.endpoints.filter((e) => e.addresses.length > 0);
    if (endpoints.length === 0) {
      this.removeAll();
      this.lastError = undefined;
      this.resolverError(new GrpcError(Code.UNAVAILABLE, "weighted_round_robin: the name resolver returned no addresses"));
      this.cc.requestReresolution();
      return;
    }
    const wanted = new Map<string, Endpoint>();
    for (const e of endpoints) wanted.set(endpointKey(e), e);
    // Backends no longer listed are let go; their calls in flight finish on their own.
    for (const [key, b] of this.backends) {
      if (!wanted.has(key)) {
        this.backends.delete(key);
        this.release(b);
      }
    }
    // A change to how reports arrive applies to the backends already known.
    if (previous.enableOobLoadReport !== this.config.enableOobLoadReport || previous.oobReportingPeriodMs !== this.config.oobReportingPeriodMs) {
      for (const b of this.backends.values()) this.listenOutOfBand(b);
    }
    const added: Subchannel[] = [];
    for (const [key, e] of wanted) {
      if (this.backends.has(key)) continue;
      // Backends the service config health-checks (gRFC A17) count only while serving.
      const subchannel = this.cc.createSubchannel(e.addresses, { healthCheck: true });
      const weight = new EndpointWeight();
      const b: Backend = {
        subchannel,
        weight,
        onLoadReport: (report) => weight.update(report, monotonicNow(), this.config.errorUtilizationPenalty),
        unwatch: noop,
        stopOob: undefined,
        state: subchannel.state,
      };
      b.unwatch = subchannel.watch((state, error) => this.onSubchannelState(b, state, error));
      this.listenOutOfBand(b);
      this.backends.set(key, b);
      added.push(subchannel);
    }
    this.startTimer();
    this.publish();
    // Connect only after the set is complete: state changes publish pickers over it.
    for (const sc of added) sc.connect();
  }

  /** (Re)starts or stops the backend's out-of-band listener to match the config. */
  private listenOutOfBand(b: Backend): void {
    b.stopOob?.();
    b.stopOob = undefined;
    if (!this.config.enableOobLoadReport) return;
    try {
      b.stopOob = registerOobLoadReportListener(b.subchannel, b.onLoadReport, { reportIntervalMs: this.config.oobReportingPeriodMs });
    } catch (e) {
      // A subchannel no channel made (a parent policy's own) runs no streams: this backend
      // stays unweighted, and the others are still balanced.
      this.logger?.error(`${endpointAddr(b)}: cannot follow out-of-band load reports, so it gets the mean weight: ${(e as Error).message}`);
    }
  }

  private startTimer(): void {
    const period = this.config.weightUpdatePeriodMs;
    if (this.timer !== undefined && this.timerPeriodMs === period) return;
    this.stopTimer();
    this.timerPeriodMs = period;
    this.timer = setInterval(() => this.updateWeights(), period);
    // The timer alone does not keep a process alive; calls and connections do.
    this.timer.unref?.();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Every weightUpdatePeriod: a new picker when a READY backend's weight changed. */
  private updateWeights(): void {
    const scheduled = this.scheduled;
    if (this.closed || scheduled === undefined) return;
    const weights = this.weightsOf(scheduled.backends);
    if (weights.every((w, i) => w === scheduled.weights[i])) return;
    this.publishPicker(scheduled.backends, weights);
  }

  private weightsOf(backends: readonly Backend[]): number[] {
    const now = monotonicNow();
    return backends.map((b) => b.weight.weightAt(now, this.config));
  }

  private onSubchannelState(b: Backend, state: ConnectivityState, error?: GrpcError): void {
    if (this.closed || state === ConnectivityState.SHUTDOWN) return;
    const was = b.state;
    if (error !== undefined) this.lastError = error;
    // A reconnected backend may carry another load: its weight waits out a new blackout.
    if (state === ConnectivityState.READY && was !== ConnectivityState.READY) b.weight.restartBlackout();
    // A subchannel retrying after a failure still counts as failed (gRFC A61 sticky
    // TRANSIENT_FAILURE), so the channel does not flap back to CONNECTING.
    b.state = was === ConnectivityState.TRANSIENT_FAILURE && state === ConnectivityState.CONNECTING ? was : state;
    if (state === ConnectivityState.TRANSIENT_FAILURE || (was === ConnectivityState.READY && state !== ConnectivityState.READY)) {
      this.cc.requestReresolution();
    }
    if (state === ConnectivityState.IDLE) b.subchannel.connect();
    if (b.state !== was || state === ConnectivityState.TRANSIENT_FAILURE) this.publish();
  }

  /** Publishes the aggregated state, with a weighted picker over the READY backends when there are any. */
  private publish(): void {
    const backends = [...this.backends.values()];
    // An IDLE backend is connected at once, so it counts as CONNECTING.
    const state = aggregateConnectivityState(
      backends.map((b) => (b.state === ConnectivityState.IDLE ? ConnectivityState.CONNECTING : b.state)),
    );
    if (state === ConnectivityState.READY) {
      const ready = backends.filter((b) => b.state === ConnectivityState.READY);
      this.publishPicker(ready, this.weightsOf(ready));
      return;
    }
    this.scheduled = undefined;
    const picker: Picker = state === ConnectivityState.TRANSIENT_FAILURE ? constantPicker({ type: "fail", error: this.failure() }) : queuePicker;
    this.cc.updateState({ state, picker });
  }

  private publishPicker(ready: readonly Backend[], weights: readonly number[]): void {
    this.scheduled = { backends: ready, weights };
    // Per-call reports are read only while no out-of-band stream supplies them.
    const perCall = !this.config.enableOobLoadReport;
    const weighted: WeightedBackend[] = ready.map((b, i) => ({
      subchannel: b.subchannel,
      weight: weights[i],
      onLoadReport: perCall ? b.onLoadReport : undefined,
    }));
    this.logger?.debug(`weights ${ready.map((b, i) => `${endpointAddr(b)}=${weights[i]}`).join(" ")}`);
    this.cc.updateState({ state: ConnectivityState.READY, picker: new WeightedRoundRobinPicker(weighted) });
  }

  private failure(): GrpcError {
    const why = this.lastError?.rawMessage ?? "no connection succeeded";
    return new GrpcError(
      Code.UNAVAILABLE,
      `weighted_round_robin: all ${this.backends.size} backends are unavailable; last error: ${why}`,
    );
  }

  resolverError(error: GrpcError): void {
    if (this.closed) return;
    // Backends already known keep serving; the error shows only when none can.
    for (const b of this.backends.values()) if (b.state !== ConnectivityState.TRANSIENT_FAILURE) return;
    this.scheduled = undefined;
    this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
  }

  exitIdle(): void {
    for (const b of this.backends.values()) if (b.subchannel.state === ConnectivityState.IDLE) b.subchannel.connect();
  }

  close(): void {
    this.closed = true;
    this.removeAll();
  }

  private release(b: Backend): void {
    b.unwatch();
    b.stopOob?.();
    b.stopOob = undefined;
    b.subchannel.shutdown();
  }

  private removeAll(): void {
    this.stopTimer();
    this.scheduled = undefined;
    for (const b of this.backends.values()) this.release(b);
    this.backends.clear();
  }
}

function endpointAddr(b: Backend): string {
  return b.subchannel.addresses.map((a) => a.addr).join(",");
}

/**
 * The weighted_round_robin policy; name it in a channel's `loadBalancingPolicy` or
 * service config once registered.
 */
export const weightedRoundRobinBalancer: BalancerBuilder<WeightedRoundRobinConfig> = {
  name: WEIGHTED_ROUND_ROBIN_POLICY_NAME,
  configSchema: weightedRoundRobinConfigSchema,
  build: (cc: BalancerClientConn, options?: BalancerBuildOptions) => new WeightedRoundRobinBalancer(cc, options?.logger),
};

/** Registers weighted_round_robin in the process-wide balancer registry. */
export function registerWeightedRoundRobin(): void {
  registerBalancer(weightedRoundRobinBalancer as BalancerBuilder);
}
