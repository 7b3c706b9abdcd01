/**
 * Load balancing, shaped like grpc-go's balancer package: a builder registered by
 * name builds a Balancer for one channel. The balancer creates subchannels through a
 * narrow BalancerClientConn and publishes an immutable Picker that calls pick from.
 */
import type { GrpcError } from "../status/grpc-error.js";
import type { ConnectivityState } from "./connectivity-state.js";
import type { Address, ResolverState } from "../resolver/resolver.js";
import type { ConfigurableBuilder } from "../registry/registry.js";

/** A connection to one backend, as a balancer sees it. */
export interface Subchannel {
  readonly addresses: readonly Address[];
  readonly state: ConnectivityState;
  /** Starts connecting if idle. */
  connect(): void;
  /** Releases the subchannel; its connection closes once no call uses it. */
  shutdown(): void;
  /** Registers a state listener; returns a function that removes it. */
  watch(listener: (state: ConnectivityState, error?: GrpcError) => void): () => void;
}

/** How a picked call ended, told to the picker's `onDone` (as grpc-go's balancer.DoneInfo). */
export interface PickDoneInfo {
  /** The call's error; undefined when it ended OK. */
  readonly error: GrpcError | undefined;
}

export type PickResult =
  | {
      readonly type: "pick";
      readonly subchannel: Subchannel;
      /** Called once when the call that took this pick ends (load-aware policies count with it). */
      readonly onDone?: (info: PickDoneInfo) => void;
    }
  /** No decision yet: the call waits for the next picker. */
  | { readonly type: "queue" }
  /** Fail the call (unless it waits for ready and the error is UNAVAILABLE). */
  | { readonly type: "fail"; readonly error: GrpcError };

export interface PickInfo {
  /** "/package.Service/Method" */
  readonly path: string;
}

/** An immutable snapshot: calls pick from it without locks. */
export interface Picker {
  pick(info: PickInfo): PickResult;
}

export interface BalancerState {
  readonly state: ConnectivityState;
  readonly picker: Picker;
}

/** How a balancer wants a subchannel made. */
export interface SubchannelCreateOptions {
  /**
   * Report READY only while the backend says it is serving, when the service config
   * turns client-side health checking on (gRFC A17). round_robin asks for it;
   * pick_first does not, as in grpc-go.
   */
  readonly healthCheck?: boolean;
}

/** What a balancer may do to its channel. */
export interface BalancerClientConn {
  createSubchannel(addresses: readonly Address[], options?: SubchannelCreateOptions): Subchannel;
  updateState(state: BalancerState): void;
  /** Asks the resolver to resolve again. */
  requestReresolution(): void;
}

export interface ClientConnState<C = unknown> {
  readonly resolverState: ResolverState;
  readonly config: C;
}

export interface Balancer<C = unknown> {
  updateClientConnState(state: ClientConnState<C>): void;
  resolverError(error: GrpcError): void;
  /** Leave IDLE: a call is waiting. */
  exitIdle(): void;
  close(): void;
}

export interface BalancerBuilder<C = unknown> extends ConfigurableBuilder<C> {
  build(cc: BalancerClientConn): Balancer<C>;
}

/** A picker that always answers the same. */
export function constantPicker(result: PickResult): Picker {
  return { pick: () => result };
}
