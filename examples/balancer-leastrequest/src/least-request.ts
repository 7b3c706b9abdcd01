/**
 * least_request: each call goes to the less loaded of `choiceCount` READY backends
 * drawn at random ("power of two choices"), where load is the number of calls in
 * flight. It counts calls through the pick's onDone, which is all it needs from core.
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
  type Subchannel,
} from "@grpckit/core";
import * as z from "zod";

export interface LeastRequestConfig {
  /** How many READY backends each pick compares. Default 2, at most 10. */
  choiceCount: number;
}

const configSchema: z.ZodType<LeastRequestConfig> = z.object({
  choiceCount: z.number().int().min(2).max(10).default(2),
}) as z.ZodType<LeastRequestConfig>;

/** One backend: its subchannel and the calls it has in flight. */
interface Backend {
  readonly key: string;
  readonly subchannel: Subchannel;
  inFlight: number;
  state: ConnectivityState;
  lastError: GrpcError | undefined;
  unwatch: () => void;
}

class LeastRequestBalancer implements Balancer<LeastRequestConfig> {
  private backends = new Map<string, Backend>();
  private choiceCount = 2;

  constructor(private readonly cc: BalancerClientConn) {}

  updateClientConnState({ resolverState, config }: ClientConnState<LeastRequestConfig>): void {
    this.choiceCount = config?.choiceCount ?? 2;
    const next = new Map<string, Backend>();
    for (const endpoint of resolverState.endpoints) {
      const key = endpoint.addresses.map((a) => a.addr).join(",");
      const kept = this.backends.get(key);
      if (kept !== undefined) {
        next.set(key, kept);
        continue;
      }
      const subchannel = this.cc.createSubchannel(endpoint.addresses, { healthCheck: true });
      const backend: Backend = { key, subchannel, inFlight: 0, state: subchannel.state, lastError: undefined, unwatch: () => {} };
      backend.unwatch = subchannel.watch((state, error) => this.onState(backend, state, error));
      next.set(key, backend);
    }
    // Backends the resolver no longer lists are let go; their open calls finish.
    for (const [key, old] of this.backends) {
      if (!next.has(key)) {
        old.unwatch();
        old.subchannel.shutdown();
      }
    }
    this.backends = next;
    // Connect only now: state changes publish pickers over this.backends, which must be the new set.
    for (const b of next.values()) b.subchannel.connect();
    if (next.size === 0) {
      this.fail(new GrpcError(Code.UNAVAILABLE, "least_request: the resolver returned no endpoints"));
      return;
    }
    this.publish();
  }

  private onState(backend: Backend, state: ConnectivityState, error?: GrpcError): void {
    backend.state = state;
    if (error !== undefined) backend.lastError = error;
    if (state === ConnectivityState.IDLE) backend.subchannel.connect();
    if (state === ConnectivityState.TRANSIENT_FAILURE || state === ConnectivityState.IDLE) this.cc.requestReresolution();
    this.publish();
  }

  /** Publishes the aggregated state and a picker over the READY backends. */
  private publish(): void {
    const backends = [...this.backends.values()];
    // An IDLE backend is connected at once, so it counts as CONNECTING.
    const state = aggregateConnectivityState(
      backends.map((b) => (b.state === ConnectivityState.IDLE ? ConnectivityState.CONNECTING : b.state)),
    );
    if (state === ConnectivityState.READY) {
      const ready = backends.filter((b) => b.state === ConnectivityState.READY);
      this.cc.updateState({ state, picker: new LeastRequestPicker(ready, this.choiceCount) });
      return;
    }
    if (state !== ConnectivityState.TRANSIENT_FAILURE) {
      this.cc.updateState({ state, picker: constantPicker({ type: "queue" }) });
      return;
    }
    const last = backends.find((b) => b.lastError !== undefined)?.lastError;
    this.fail(new GrpcError(Code.UNAVAILABLE, `least_request: no backend is reachable${last ? `: ${last.rawMessage}` : ""}`));
  }

  private fail(error: GrpcError): void {
    this.cc.updateState({ state: ConnectivityState.TRANSIENT_FAILURE, picker: constantPicker({ type: "fail", error }) });
  }

  resolverError(error: GrpcError): void {
    if (![...this.backends.values()].some((b) => b.state === ConnectivityState.READY)) this.fail(error);
  }

  exitIdle(): void {
    for (const b of this.backends.values()) b.subchannel.connect();
  }

  close(): void {
    for (const b of this.backends.values()) {
      b.unwatch();
      b.subchannel.shutdown();
    }
    this.backends.clear();
  }
}

/** An immutable snapshot over the READY backends; only their in-flight counters move. */
class LeastRequestPicker implements Picker {
  constructor(
    private readonly ready: readonly Backend[],
    private readonly choiceCount: number,
  ) {}

  pick() {
    const ready = this.ready;
    let best = ready[Math.floor(Math.random() * ready.length)];
    for (let i = 1; i < this.choiceCount && ready.length > 1; i++) {
      const other = ready[Math.floor(Math.random() * ready.length)];
      if (other.inFlight < best.inFlight) best = other;
    }
    const chosen = best;
    chosen.inFlight++;
    return {
      type: "pick" as const,
      subchannel: chosen.subchannel,
      onDone: () => {
        chosen.inFlight--;
      },
    };
  }
}

/** The least_request policy's builder, to register under its name. */
export const leastRequestBalancer: BalancerBuilder<LeastRequestConfig> = {
  name: "least_request",
  configSchema,
  build: (cc) => new LeastRequestBalancer(cc),
};
