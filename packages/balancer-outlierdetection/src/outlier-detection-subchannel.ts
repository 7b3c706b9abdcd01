/**
 * The subchannel outlier detection hands its child policy in place of each one the
 * channel makes. While its endpoint is ejected it reports TRANSIENT_FAILURE to the
 * child, so the child stops picking it; on unejection it reports the real state again
 * (gRFC A50). A pick that returns it still sends the call over the real connection.
 */
import { ConnectivityState, SubchannelWrapper, type GrpcError, type Subchannel } from "@grpckit/core";
import type { Ejectable, TrackedEndpoint } from "./tracked-endpoint.js";

type Listener = (state: ConnectivityState, error?: GrpcError) => void;

export class OutlierDetectionSubchannel extends SubchannelWrapper implements Ejectable {
  /** The endpoint whose calls this subchannel counts in; undefined when it is not tracked (see the README). */
  endpoint: TrackedEndpoint | undefined;
  /** Why it is ejected; undefined while it is not. */
  private ejection: GrpcError | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly unwatchWrapped: () => void;
  /** The error the real subchannel gave with its last state change. */
  private lastError: GrpcError | undefined;

  constructor(
    wrapped: Subchannel,
    /** Called once when the child shuts the subchannel down, so the balancer stops tracking it. */
    private readonly onShutdown: (sc: OutlierDetectionSubchannel) => void,
  ) {
    super(wrapped);
    this.unwatchWrapped = wrapped.watch((state, error) => this.onWrappedState(state, error));
  }

  /** Whether the child is told this subchannel failed because its endpoint is ejected. */
  get ejected(): boolean {
    return this.ejection !== undefined;
  }

  override get state(): ConnectivityState {
    const real = this.wrapped.state;
    return this.ejection !== undefined && real !== ConnectivityState.SHUTDOWN ? ConnectivityState.TRANSIENT_FAILURE : real;
  }

  override watch(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  override shutdown(): void {
    this.unwatchWrapped();
    this.listeners.clear();
    this.onShutdown(this);
    super.shutdown();
  }

  eject(reason: GrpcError): void {
    const was = this.ejection;
    this.ejection = reason;
    if (was === undefined) this.tell(ConnectivityState.TRANSIENT_FAILURE, reason);
  }

  uneject(): void {
    if (this.ejection === undefined) return;
    this.ejection = undefined;
    const real = this.wrapped.state;
    this.tell(real, real === ConnectivityState.TRANSIENT_FAILURE ? this.lastError : undefined);
  }

  private onWrappedState(state: ConnectivityState, error?: GrpcError): void {
    this.lastError = error;
    // While ejected the child keeps seeing TRANSIENT_FAILURE; it learns the real state on unejection.
    if (this.ejection !== undefined && state !== ConnectivityState.SHUTDOWN) return;
    this.tell(state, error);
  }

  private tell(state: ConnectivityState, error?: GrpcError): void {
    for (const l of [...this.listeners]) l(state, error);
  }
}
