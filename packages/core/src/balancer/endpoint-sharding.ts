/**
 * One child policy per resolved endpoint, as grpc-go's endpointsharding: the piece a
 * parent policy (round_robin, weighted round robin, least request, outlier detection)
 * is built on. Each endpoint gets its own child (pick_first, usually) in a
 * GracefulSwitchBalancer, fed a resolver state holding that endpoint alone; the
 * children's states are aggregated, and the parent either takes the default picker
 * (turns over the children in the aggregated state) or builds its own from the
 * children's states and pickers.
 */
import {
  constantPicker,
  type Balancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type BalancerClientConn,
  type BalancerState,
  type ClientConnState,
  type Picker,
  type PickInfo,
  type PickResult,
} from "./balancer.js";
import { ConnectivityState, aggregateConnectivityState } from "./connectivity-state.js";
import { GracefulSwitchBalancer } from "./graceful-switch.js";
import { Code } from "../status/code.js";
import { GrpcError } from "../status/grpc-error.js";
import type { Endpoint } from "../resolver/resolver.js";

/** One endpoint's child policy as the parent sees it: a snapshot, replaced whole on each change. */
export interface EndpointChildState {
  /** The endpoint, as the resolver last gave it. */
  readonly endpoint: Endpoint;
  /** The child's last published state; CONNECTING until it publishes one. */
  readonly state: ConnectivityState;
  /** The child's last published picker; one that queues until it publishes one. */
  readonly picker: Picker;
}

/** How an EndpointShardingBalancer runs its children. */
export interface EndpointShardingOptions {
  /** The policy each endpoint runs (pick_first for round_robin-like parents). */
  readonly childBuilder: BalancerBuilder;
  /**
   * The parent's state from its children's, published whenever a child's state
   * changes (once per resolver update or error, however many children changed).
   * Return undefined to publish nothing this time. The children are in the resolver's
   * endpoint order. By default {@link aggregateChildStates}: the aggregated state, and
   * a picker that takes turns over the children in that state.
   */
  readonly buildState?: (children: readonly EndpointChildState[]) => BalancerState | undefined;
  /**
   * Ask a child that goes IDLE to connect again at once (true by default, as grpc-go);
   * false leaves it IDLE until a call picks it or `exitIdle` is called.
   */
  readonly reconnectIdleChildren?: boolean;
}

interface Child {
  readonly key: string;
  readonly balancer: GracefulSwitchBalancer;
  snapshot: EndpointChildState;
  closed: boolean;
}

const queuePicker = constantPicker({ type: "queue" });

/**
 * The key an endpoint's child is kept under: its addresses as a set, so an endpoint
 * whose addresses come back in another order keeps its child.
 */
function endpointKey(endpoint: Endpoint): string {
  return JSON.stringify([...new Set(endpoint.addresses.map((a) => a.addr))].sort());
}

/**
 * Runs one child policy per endpoint. A parent builds it with its own
 * BalancerClientConn (or the channel's) and passes its resolver updates on; the
 * `config` of `updateClientConnState` is each child's config.
 *
 * @example
 * // A parent policy: pick_first per endpoint, its own picker over the READY ones.
 * const sharding = new EndpointShardingBalancer(cc, buildOptions, {
 *   childBuilder: pickFirstBalancer,
 *   buildState: (children) => {
 *     const ready = children.filter((c) => c.state === ConnectivityState.READY);
 *     if (ready.length === 0) return aggregateChildStates(children);
 *     return { state: ConnectivityState.READY, picker: { pick: (info) => ready[0].picker.pick(info) } };
 *   },
 * });
 * sharding.updateClientConnState({ resolverState, config: undefined });
 */
export class EndpointShardingBalancer implements Balancer {
  /** The children, in the order of the resolver's last endpoints. */
  private childList: Child[] = [];
  private readonly childBuilder: BalancerBuilder;
  private readonly buildState: (children: readonly EndpointChildState[]) => BalancerState | undefined;
  private readonly reconnectIdleChildren: boolean;
  /** Nonzero while an update reaches every child: publish once, after the last. */
  private inhibit = 0;
  private dirty = false;
  private closed = false;

  /**
   * @param cc - Where children's subchannels, re-resolution requests and the parent's
   *   states go: the channel's, or the parent's own wrapper of it.
   * @param buildOptions - What each child is built with: the options the parent was
   *   built with (undefined only when the parent itself was built without, in tests).
   * @param options - The child policy, and how the parent's state is made from the children's.
   */
  constructor(
    private readonly cc: BalancerClientConn,
    private readonly buildOptions: BalancerBuildOptions | undefined,
    options: EndpointShardingOptions,
  ) {
    this.childBuilder = options.childBuilder;
    this.buildState = options.buildState ?? aggregateChildStates;
    this.reconnectIdleChildren = options.reconnectIdleChildren ?? true;
  }

  /** The children's current states, in the resolver's endpoint order. */
  get children(): readonly EndpointChildState[] {
    return this.childList.map((c) => c.snapshot);
  }

  /**
   * Starts a child for each new endpoint, passes each kept one its endpoint again,
   * and closes the children of endpoints no longer listed. Endpoints without
   * addresses are skipped; when none is left, the parent goes TRANSIENT_FAILURE and
   * asks for re-resolution.
   */
  updateClientConnState({ resolverState, config }: ClientConnState): void {
    if (this.closed) return;
    this.inhibit++;
    try {
      const old = new Map(this.childList.map((c) => [c.key, c]));
      const next: Child[] = [];
      const listed = new Set<string>();
      for (const endpoint of resolverState.endpoints) {
        if (endpoint.addresses.length === 0) continue;
        const key = endpointKey(endpoint);
        // The same endpoint listed twice gets one child.
        if (listed.has(key)) continue;
        listed.add(key);
        const kept = old.get(key);
        old.delete(key);
        const child = kept ?? this.startChild(key, endpoint);
        child.snapshot = { ...child.snapshot, endpoint };
        next.push(child);
      }
      this.childList = next;
      for (const gone of old.values()) this.closeChild(gone);
      for (const child of next) {
        child.balancer.updateClientConnState({ resolverState: { ...resolverState, endpoints: [child.snapshot.endpoint] }, config });
      }
    } finally {
      this.inhibit--;
    }
    if (this.childList.length === 0) {
      this.dirty = false;
      this.cc.updateState({
        state: ConnectivityState.TRANSIENT_FAILURE,
        picker: constantPicker({ type: "fail", error: new GrpcError(Code.UNAVAILABLE, "name resolver returned no addresses") }),
      });
      this.cc.requestReresolution();
      return;
    }
    this.publish();
  }

  /**
   * Passes the error to every child, which keeps serving from what it knew if it can.
   * With no children yet, the parent goes TRANSIENT_FAILURE with the error.
   */
  resolverError(error: GrpcError): void {
    if (this.closed) return;
    if (this.childList.length === 0) {
      this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
      return;
    }
    this.inhibit++;
    try {
      for (const child of this.childList) child.balancer.resolverError(error);
    } finally {
      this.inhibit--;
    }
    if (this.dirty) this.publish();
  }

  /** Asks every child to leave IDLE. */
  exitIdle(): void {
    if (this.closed) return;
    this.inhibit++;
    try {
      for (const child of this.childList) child.balancer.exitIdle();
    } finally {
      this.inhibit--;
    }
    if (this.dirty) this.publish();
  }

  /** Builds and publishes the parent's state from the children's now (a parent whose picker depends on more than the children's states calls this when that changes). */
  republish(): void {
    if (this.closed) return;
    this.publish();
  }

  /** Closes every child; nothing is published after. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const child of this.childList) this.closeChild(child);
    this.childList = [];
  }

  private startChild(key: string, endpoint: Endpoint): Child {
    // The child policy may publish from inside its build, so `child` exists before it.
    let child: Child | undefined;
    const balancer = new GracefulSwitchBalancer(
      {
        createSubchannel: (addresses, options) => this.cc.createSubchannel(addresses, options),
        requestReresolution: () => {
          if (child !== undefined && !child.closed) this.cc.requestReresolution();
        },
        updateState: (state) => {
          if (child !== undefined) this.onChildState(child, state);
        },
      },
      // A parent built without options (in tests) builds its children without any too.
      this.buildOptions as BalancerBuildOptions,
    );
    child = { key, balancer, snapshot: { endpoint, state: ConnectivityState.CONNECTING, picker: queuePicker }, closed: false };
    balancer.switchTo(this.childBuilder);
    return child;
  }

  private closeChild(child: Child): void {
    child.closed = true;
    child.balancer.close();
  }

  private onChildState(child: Child, state: BalancerState): void {
    if (child.closed || this.closed) return;
    child.snapshot = { endpoint: child.snapshot.endpoint, state: state.state, picker: state.picker };
    if (state.state === ConnectivityState.IDLE && this.reconnectIdleChildren) {
      this.inhibit++;
      try {
        child.balancer.exitIdle();
      } finally {
        this.inhibit--;
      }
    }
    this.publish();
  }

  private publish(): void {
    if (this.inhibit > 0) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    // A child built while an update runs is not listed until the update lists it.
    const state = this.buildState(this.children);
    if (state !== undefined) this.cc.updateState(state);
  }
}

/**
 * Endpoint sharding's default state: the children's states aggregated (READY if any
 * is READY, else CONNECTING if any is, else IDLE if any is, else TRANSIENT_FAILURE),
 * and a picker that takes turns over the pickers of the children in that state,
 * starting at a random one so that many clients given the same endpoints do not all
 * pick the same one first. With no children it fails calls with UNAVAILABLE.
 */
export function aggregateChildStates(children: readonly EndpointChildState[]): BalancerState {
  const state = aggregateConnectivityState(children.map((c) => c.state));
  const pickers = children.filter((c) => c.state === state).map((c) => c.picker);
  if (pickers.length === 0) {
    return {
      state,
      picker: constantPicker({ type: "fail", error: new GrpcError(Code.UNAVAILABLE, "no endpoints to balance over") }),
    };
  }
  return { state, picker: pickers.length === 1 ? pickers[0] : new TurnTakingPicker(pickers) };
}

/** Takes turns over child pickers, starting at a random one. */
class TurnTakingPicker implements Picker {
  private next: number;

  constructor(private readonly pickers: readonly Picker[]) {
    this.next = Math.floor(Math.random() * pickers.length);
  }

  pick(info: PickInfo): PickResult {
    const picker = this.pickers[this.next];
    this.next = this.next + 1 === this.pickers.length ? 0 : this.next + 1;
    return picker.pick(info);
  }
}
