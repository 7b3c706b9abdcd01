/**
 * Outlier detection (gRFC A50), a parent policy: its child policy balances over the
 * endpoints as usual, and outlier detection counts how each endpoint's calls end. Every
 * interval it ejects endpoints whose calls fail far more than the others' (success-rate
 * ejection) or more than a threshold (failure-percentage ejection): the child sees their
 * subchannels in TRANSIENT_FAILURE and stops picking them until the ejection time
 * passes. The ejection time grows with each ejection and shrinks while the endpoint
 * behaves.
 */
import {
  Code,
  GracefulSwitchBalancer,
  GrpcError,
  registerBalancer,
  type Address,
  type Balancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type BalancerClientConn,
  type BalancerState,
  type ClientConnState,
  type Endpoint,
  type Logger,
  type Subchannel,
  type SubchannelCreateOptions,
} from "@grpckit/core";
import { ejectionEnabled, outlierDetectionConfigSchema, type OutlierDetectionConfig } from "./outlier-detection-config.js";
import { failurePercentageEjection } from "./failure-percentage-ejection.js";
import { OutlierDetectionPicker } from "./outlier-detection-picker.js";
import { OutlierDetectionSubchannel } from "./outlier-detection-subchannel.js";
import { successRateEjection } from "./success-rate-ejection.js";
import { TrackedEndpoint } from "./tracked-endpoint.js";
import { WallClockTimer } from "./wall-clock-timer.js";

/** The name the policy registers under, as grpc-go registers it. */
export const OUTLIER_DETECTION_POLICY_NAME = "outlier_detection_experimental";

/** An endpoint's identity: its set of addresses, in any order. */
function endpointKey(addresses: readonly Address[]): string {
  return addresses
    .map((a) => a.addr)
    .sort()
    .join(",");
}

/** Where outlier detection's randomness comes from (enforcementPercentage); tests pass their own. */
export interface OutlierDetectionOptions {
  /** A number in [0, 1), as Math.random gives. */
  readonly random?: () => number;
}

class OutlierDetectionBalancer implements Balancer<OutlierDetectionConfig> {
  private readonly child: GracefulSwitchBalancer;
  /** Tracked endpoints by endpointKey, in the resolver's order. */
  private endpoints = new Map<string, TrackedEndpoint>();
  /** Each address of a tracked endpoint, to the endpoint. */
  private byAddress = new Map<string, TrackedEndpoint>();
  /** The child's subchannels not shut down. */
  private readonly subchannels = new Set<OutlierDetectionSubchannel>();
  private config: OutlierDetectionConfig | undefined;
  private childState: BalancerState | undefined;
  private readonly timer = new WallClockTimer(() => this.onInterval());
  /** When the current interval started; undefined while ejection is off. */
  private intervalStart: number | undefined;
  private readonly random: () => number;
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(
    private readonly cc: BalancerClientConn,
    options: BalancerBuildOptions | undefined,
    own: OutlierDetectionOptions,
  ) {
    this.random = own.random ?? Math.random;
    this.logger = options?.logger;
    this.child = new GracefulSwitchBalancer(
      {
        createSubchannel: (addresses, opts) => this.createSubchannel(addresses, opts),
        updateState: (state) => this.onChildState(state),
        requestReresolution: () => {
          if (!this.closed) this.cc.requestReresolution();
        },
      },
      // A builder called without options (as in tests) builds its child without them too.
      () => options as BalancerBuildOptions,
    );
  }

  updateClientConnState({ resolverState, config }: ClientConnState<OutlierDetectionConfig>): void {
    if (this.closed) return;
    const wasCounting = this.config !== undefined && ejectionEnabled(this.config);
    this.config = config;
    this.trackEndpoints(resolverState.endpoints);
    // The endpoints are tracked before the child sees them, so the subchannels it makes are counted at once.
    this.child.switchTo(config.childPolicy.builder);
    this.child.updateClientConnState({ resolverState, config: config.childPolicy.config });
    if (ejectionEnabled(config)) {
      const now = Date.now();
      if (this.intervalStart === undefined) {
        this.intervalStart = now;
        for (const e of this.endpoints.values()) e.calls.clear();
      }
      // A changed interval counts from when the current one started, as gRFC A50 says.
      this.timer.fireAt(this.intervalStart + config.intervalMs);
    } else {
      // Without either kind of ejection nothing is counted: every ejection ends and the multipliers reset.
      this.timer.clear();
      this.intervalStart = undefined;
      for (const e of this.endpoints.values()) {
        if (e.ejected) e.uneject();
        e.multiplier = 0;
      }
    }
    if (wasCounting !== ejectionEnabled(config) && this.childState !== undefined) this.publish(this.childState);
  }

  resolverError(error: GrpcError): void {
    if (!this.closed) this.child.resolverError(error);
  }

  exitIdle(): void {
    if (!this.closed) this.child.exitIdle();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer.clear();
    this.child.close();
  }

  /** Keeps an entry per resolved endpoint: new ones start clean, gone ones are dropped. */
  private trackEndpoints(resolved: readonly Endpoint[]): void {
    const endpoints = new Map<string, TrackedEndpoint>();
    const byAddress = new Map<string, TrackedEndpoint>();
    for (const e of resolved) {
      if (e.addresses.length === 0) continue;
      const key = endpointKey(e.addresses);
      const tracked = endpoints.get(key) ?? this.endpoints.get(key) ?? new TrackedEndpoint(key);
      endpoints.set(key, tracked);
      for (const a of e.addresses) byAddress.set(a.addr, tracked);
    }
    this.endpoints = endpoints;
    this.byAddress = byAddress;
    for (const sc of this.subchannels) this.assign(sc);
  }

  /** The endpoint a subchannel's calls count for: the one all its addresses belong to, if there is one. */
  private endpointOf(addresses: readonly Address[]): TrackedEndpoint | undefined {
    const first = addresses[0] === undefined ? undefined : this.byAddress.get(addresses[0].addr);
    if (first === undefined) return undefined;
    for (const a of addresses) if (this.byAddress.get(a.addr) !== first) return undefined;
    return first;
  }

  /** Moves a subchannel to the endpoint its addresses now belong to, taking on that endpoint's ejection. */
  private assign(sc: OutlierDetectionSubchannel): void {
    const endpoint = this.endpointOf(sc.addresses);
    if (endpoint === sc.endpoint) return;
    sc.endpoint?.detach(sc);
    sc.endpoint = endpoint;
    if (endpoint !== undefined) endpoint.attach(sc);
    else sc.uneject();
  }

  private createSubchannel(addresses: readonly Address[], options?: SubchannelCreateOptions): Subchannel {
    const sc = new OutlierDetectionSubchannel(this.cc.createSubchannel(addresses, options), (gone) => {
      this.subchannels.delete(gone);
      gone.endpoint?.detach(gone);
      gone.endpoint = undefined;
    });
    this.subchannels.add(sc);
    this.assign(sc);
    return sc;
  }

  private onChildState(state: BalancerState): void {
    if (this.closed) return;
    this.childState = state;
    this.publish(state);
  }

  /** Publishes the child's state, its picker wrapped to count calls while ejection is on. */
  private publish(state: BalancerState): void {
    const counting = this.config !== undefined && ejectionEnabled(this.config);
    this.cc.updateState(counting ? { state: state.state, picker: new OutlierDetectionPicker(state.picker) } : state);
  }

  /** gRFC A50's interval: judge the last interval's calls, eject outliers, and let back endpoints whose time is up. */
  private onInterval(): void {
    const config = this.config;
    if (this.closed || config === undefined || !ejectionEnabled(config)) return;
    const now = Date.now();
    this.intervalStart = now;
    this.timer.fireAt(now + config.intervalMs);
    const endpoints = [...this.endpoints.values()];
    for (const e of endpoints) e.calls.swap();
    const eject = (e: TrackedEndpoint, why: string): void => {
      e.eject(now, new GrpcError(Code.UNAVAILABLE, `outlier detection ejected ${e.name}: ${why}`));
      this.logger?.info(`ejected ${e.name} for ${this.ejectionTimeMs(e, config)} ms: ${why}`);
    };
    if (config.successRateEjection !== undefined) {
      const srConfig = config.successRateEjection;
      successRateEjection(endpoints, srConfig, config.maxEjectionPercent, this.random, (e) =>
        eject(
          e,
          `${e.calls.successes} of its ${e.calls.volume} calls succeeded in the last ${config.intervalMs} ms, ` +
            `a success rate far below the other endpoints'`,
        ),
      );
    }
    if (config.failurePercentageEjection !== undefined) {
      const fpConfig = config.failurePercentageEjection;
      failurePercentageEjection(endpoints, fpConfig, config.maxEjectionPercent, this.random, (e) =>
        eject(
          e,
          `${e.calls.failures} of its ${e.calls.volume} calls failed in the last ${config.intervalMs} ms, ` +
            `more than ${fpConfig.threshold}%`,
        ),
      );
    }
    for (const e of endpoints) {
      if (e.ejectedAt === undefined) {
        if (e.multiplier > 0) e.multiplier--;
      } else if (now >= e.ejectedAt + this.ejectionTimeMs(e, config)) {
        e.uneject();
        this.logger?.info(`unejected ${e.name}: its ejection time passed`);
      }
    }
  }

  /** How long an endpoint's current ejection lasts: base × multiplier, at most max(base, max). */
  private ejectionTimeMs(e: TrackedEndpoint, config: OutlierDetectionConfig): number {
    return Math.min(config.baseEjectionTimeMs * e.multiplier, Math.max(config.baseEjectionTimeMs, config.maxEjectionTimeMs));
  }
}

/**
 * Builds outlier detection with options of its own, such as the random source that
 * decides `enforcementPercentage`; `outlierDetectionBalancer` is this with none.
 */
export function createOutlierDetectionBuilder(own: OutlierDetectionOptions = {}): BalancerBuilder<OutlierDetectionConfig> {
  return {
    name: OUTLIER_DETECTION_POLICY_NAME,
    configSchema: outlierDetectionConfigSchema,
    build: (cc, options) => new OutlierDetectionBalancer(cc, options, own),
  };
}

/**
 * Outlier detection; name it `outlier_detection_experimental` in a channel's service
 * config, with its child policy, once registered.
 */
export const outlierDetectionBalancer: BalancerBuilder<OutlierDetectionConfig> = createOutlierDetectionBuilder();

/** Registers outlier detection in the process-wide balancer registry. */
export function registerOutlierDetection(): void {
  registerBalancer(outlierDetectionBalancer as BalancerBuilder);
}
