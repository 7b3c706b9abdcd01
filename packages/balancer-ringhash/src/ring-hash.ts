/**
 * The ring_hash load-balancing policy (gRFC A42), registered as grpc-go and grpc-js
 * name it, "ring_hash_experimental": calls with the same key (the value of the
 * `requestHashHeader`, gRFC A76) go to the same backend while it is up, and a change
 * of backends moves only the keys of the backends that came or went, unless it changes
 * every backend's share of the ring (see ring.ts).
 *
 * Subchannels are made lazily: one per endpoint, left IDLE until a call hashes to it.
 */
import {
  Code,
  ConnectivityState,
  GrpcError,
  constantPicker,
  registerBalancer,
  type Balancer,
  type BalancerBuilder,
  type BalancerClientConn,
  type ClientConnState,
  type Endpoint,
  type Subchannel,
} from "@grpckit/core";
import { buildRing, type RingEntry, type RingMember } from "./ring.js";
import { ringHashConfigSchema, type RingHashConfig } from "./ring-hash-config.js";
import { RingHashPicker, allFailedError, type RingEndpoint } from "./ring-hash-picker.js";
import { endpointHashKey, endpointWeight } from "./endpoint-attributes.js";

const { READY, IDLE, CONNECTING, TRANSIENT_FAILURE, SHUTDOWN } = ConnectivityState;
const noop = () => {};

/** The name grpc-go and grpc-js register ring_hash under. */
export const RING_HASH_POLICY_NAME = "ring_hash_experimental";

interface Tracked {
  readonly sc: Subchannel;
  hashKey: string;
  weight: number;
  unwatch: () => void;
  /** The state ring_hash counts it in: TRANSIENT_FAILURE sticks while it retries, until READY or IDLE (gRFC A61). */
  state: ConnectivityState;
}

/** Identifies an endpoint by its addresses, so an unchanged endpoint keeps its subchannel. */
function endpointIdentity(e: Endpoint): string {
  return e.addresses.map((a) => a.addr).join(",");
}

class RingHashBalancer implements Balancer<RingHashConfig> {
  private readonly tracked = new Map<string, Tracked>();
  private config: RingHashConfig = ringHashConfigSchema.parse({});
  /** The ring, rebuilt only when the endpoints, their keys or weights, or the ring sizes change. */
  private ring: RingEntry<Tracked>[] = [];
  private lastError: GrpcError | undefined;
  private closed = false;

  constructor(private readonly cc: BalancerClientConn) {}

  updateClientConnState({ resolverState, config }: ClientConnState<RingHashConfig>): void {
    if (this.closed) return;
    // A channel passes the parsed config; a direct caller may pass none.
    const next = config === undefined ? this.config : config;
    const endpoints = resolverState.endpoints.filter((e) => e.addresses.length > 0);
    if (endpoints.length === 0) {
      this.removeAll();
      this.ring = [];
      this.lastError = undefined;
      this.resolverError(new GrpcError(Code.UNAVAILABLE, "name resolver returned no addresses"));
      this.cc.requestReresolution();
      return;
    }
    const wanted = new Map<string, Endpoint>();
    for (const e of endpoints) if (!wanted.has(endpointIdentity(e))) wanted.set(endpointIdentity(e), e);
    let changed = next.minRingSize !== this.config.minRingSize || next.maxRingSize !== this.config.maxRingSize || this.ring.length === 0;
    this.config = next;
    for (const [id, t] of this.tracked) {
      if (wanted.has(id)) continue;
      this.tracked.delete(id);
      t.unwatch();
      t.sc.shutdown();
      changed = true;
    }
    for (const [id, e] of wanted) {
      const hashKey = endpointHashKey(e);
      const weight = endpointWeight(e);
      const kept = this.tracked.get(id);
      if (kept !== undefined) {
        if (kept.hashKey !== hashKey || kept.weight !== weight) changed = true;
        kept.hashKey = hashKey;
        kept.weight = weight;
        continue;
      }
      // Health-checked when the service config asks for it (gRFC A17), as grpc-go's endpoints are.
      const sc = this.cc.createSubchannel(e.addresses, { healthCheck: true });
      const t: Tracked = { sc, hashKey, weight, state: sc.state, unwatch: noop };
      t.unwatch = sc.watch((state, error) => this.onSubchannelState(t, state, error));
      this.tracked.set(id, t);
      changed = true;
    }
    if (changed) {
      const members: RingMember<Tracked>[] = [...this.tracked.values()].map((t) => ({ key: t.hashKey, weight: t.weight, value: t }));
      this.ring = buildRing(members, this.config.minRingSize, this.config.maxRingSize);
    }
    this.publish();
  }

  private onSubchannelState(t: Tracked, state: ConnectivityState, error?: GrpcError): void {
    if (this.closed || state === SHUTDOWN) return;
    const was = t.state;
    if (error !== undefined) this.lastError = error;
    t.state = was === TRANSIENT_FAILURE && state === CONNECTING ? was : state;
    if (state === TRANSIENT_FAILURE || (was === READY && state !== READY)) this.cc.requestReresolution();
    if (state === TRANSIENT_FAILURE) this.connectNextAfter(t);
    if (t.state !== was || state === TRANSIENT_FAILURE) this.publish();
  }

  /**
   * A42: picks alone would never retry a channel whose endpoints have all failed (they
   * fail fast), so when one fails and no other is connecting, the next IDLE endpoint
   * after it is connected — one at a time, until one is READY.
   */
  private connectNextAfter(failed: Tracked): void {
    const all = [...this.tracked.values()];
    if (all.some((t) => t.sc.state === CONNECTING || t.state === READY)) return;
    const from = all.indexOf(failed);
    for (let n = 1; n < all.length; n++) {
      const t = all[(from + n) % all.length];
      if (t.sc.state === IDLE) {
        t.sc.connect();
        return;
      }
    }
  }

  private publish(): void {
    const state = aggregateRingHashState([...this.tracked.values()].map((t) => t.state));
    const snapshot = new Map<Tracked, RingEndpoint>();
    for (const t of this.tracked.values()) snapshot.set(t, { subchannel: t.sc, state: t.state });
    const ring = this.ring.map((e) => ({ hash: e.hash, value: snapshot.get(e.value)! }));
    const size = this.tracked.size;
    const lastError = this.lastError;
    const picker = new RingHashPicker(ring, this.config.requestHashHeader, () => allFailedError(size, lastError));
    this.cc.updateState({ state, picker });
  }

  resolverError(error: GrpcError): void {
    if (this.closed) return;
    // Backends already known keep serving; the error shows only when none can.
    for (const t of this.tracked.values()) if (t.state !== TRANSIENT_FAILURE) return;
    this.cc.updateState({ state: TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
  }

  /** Asked to leave IDLE with no call to hash: connects one endpoint unless one is READY or connecting. */
  exitIdle(): void {
    if (this.closed) return;
    const all = [...this.tracked.values()];
    if (all.some((t) => t.sc.state === READY || t.sc.state === CONNECTING)) return;
    all.find((t) => t.sc.state === IDLE)?.sc.connect();
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

/**
 * The channel state of gRFC A42: READY if any endpoint is READY; else TRANSIENT_FAILURE
 * if two or more have failed; else CONNECTING if one is connecting, or if exactly one
 * of several has failed (its calls fall over to the others); else IDLE if any is IDLE;
 * else TRANSIENT_FAILURE.
 */
export function aggregateRingHashState(states: readonly ConnectivityState[]): ConnectivityState {
  let failed = 0;
  let connecting = 0;
  let idle = 0;
  for (const s of states) {
    if (s === READY) return READY;
    if (s === TRANSIENT_FAILURE) failed++;
    else if (s === CONNECTING) connecting++;
    else if (s === IDLE) idle++;
  }
  if (failed >= 2) return TRANSIENT_FAILURE;
  if (connecting > 0) return CONNECTING;
  if (failed === 1 && states.length > 1) return CONNECTING;
  if (idle > 0) return IDLE;
  return TRANSIENT_FAILURE;
}

/** The ring_hash policy; name it with `loadBalancingPolicy: "ring_hash_experimental"` or in a service config, once registered. */
export const ringHashBalancer: BalancerBuilder<RingHashConfig> = {
  name: RING_HASH_POLICY_NAME,
  configSchema: ringHashConfigSchema,
  build: (cc) => new RingHashBalancer(cc),
};

/** Registers ring_hash_experimental in the process-wide balancer registry. */
export function registerRingHash(): void {
  registerBalancer(ringHashBalancer as BalancerBuilder);
}
