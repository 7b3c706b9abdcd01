/** A Subchannel whose connectivity a test drives by hand. */
import type { SubchannelCreateOptions, Subchannel } from "../balancer/balancer.js";
import { ConnectivityState } from "../balancer/connectivity-state.js";
import type { GrpcError } from "../status/grpc-error.js";
import type { Address } from "../resolver/resolver.js";

type Listener = (state: ConnectivityState, error?: GrpcError) => void;

/**
 * Starts IDLE and changes state only when the test calls `setState`; counts the
 * balancer's `connect()` and `shutdown()` calls. `shutdown()` moves it to SHUTDOWN
 * and drops its listeners, as a real subchannel does.
 */
export class FakeSubchannel implements Subchannel {
  private _state = ConnectivityState.IDLE;
  private readonly listeners = new Set<Listener>();
  /** How many times the balancer called connect(). */
  connectCount = 0;
  /** How many times the balancer called shutdown(). */
  shutdownCount = 0;
  /** The error given with the last TRANSIENT_FAILURE. */
  lastError: GrpcError | undefined;

  constructor(
    readonly addresses: readonly Address[],
    /** The options the balancer created it with (healthCheck: whether it asked for health checking). */
    readonly options: SubchannelCreateOptions = {},
  ) {}

  get state(): ConnectivityState {
    return this._state;
  }

  /** The first address, handy in assertions ("127.0.0.1:1"). */
  get addr(): string {
    return this.addresses[0]?.addr ?? "";
  }

  /** Moves to `state` and tells the balancer's listeners; ignored after shutdown. */
  setState(state: ConnectivityState, error?: GrpcError): void {
    if (this._state === ConnectivityState.SHUTDOWN) return;
    this._state = state;
    if (error !== undefined) this.lastError = error;
    for (const l of [...this.listeners]) l(state, error);
  }

  connect(): void {
    this.connectCount++;
  }

  shutdown(): void {
    this.shutdownCount++;
    if (this._state === ConnectivityState.SHUTDOWN) return;
    this._state = ConnectivityState.SHUTDOWN;
    this.listeners.clear();
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  toString(): string {
    return `FakeSubchannel(${this.addresses.map((a) => a.addr).join(",")})`;
  }
}
