/**
 * A subchannel that a policy hands on in place of the one it was given, as grpc-go's
 * policies embed a SubConn: outlier detection reports an ejected backend as failed to
 * its child, a parent counts what its children do. Everything it does not override
 * goes to the wrapped subchannel, and a pick that returns the wrapper sends the call
 * over the wrapped one's connection.
 */
import type { Subchannel } from "./balancer.js";
import type { ConnectivityState } from "./connectivity-state.js";
import type { GrpcError } from "../status/grpc-error.js";
import type { Address } from "../resolver/resolver.js";

/**
 * Where a wrapper keeps the subchannel it wraps. A Symbol.for key, so a wrapper made
 * by one copy of core is followed by a channel of another.
 */
export const wrappedSubchannelKey: unique symbol = Symbol.for("@grpckit/core/wrapped-subchannel") as never;

export class SubchannelWrapper implements Subchannel {
  constructor(
    /** The subchannel calls go over when a pick returns this wrapper. */
    readonly wrapped: Subchannel,
  ) {}

  get [wrappedSubchannelKey](): Subchannel {
    return this.wrapped;
  }

  get addresses(): readonly Address[] {
    return this.wrapped.addresses;
  }

  get state(): ConnectivityState {
    return this.wrapped.state;
  }

  connect(): void {
    this.wrapped.connect();
  }

  shutdown(): void {
    this.wrapped.shutdown();
  }

  watch(listener: (state: ConnectivityState, error?: GrpcError) => void): () => void {
    return this.wrapped.watch(listener);
  }
}

/**
 * The subchannel a chain of wrappers ends in: the one the channel made. Core sends a
 * picked call over it.
 */
export function innermostSubchannel(subchannel: Subchannel): Subchannel {
  let current = subchannel;
  // Bounded, so a wrapper that wraps itself cannot hang a pick.
  for (let depth = 0; depth < 64; depth++) {
    const next = (current as { [wrappedSubchannelKey]?: Subchannel })[wrappedSubchannelKey];
    if (next === undefined) return current;
    current = next;
  }
  return current;
}
