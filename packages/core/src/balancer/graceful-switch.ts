/**
 * Switching load-balancing policies without a gap, as grpc-go's gracefulswitch does:
 * when a new service config names another policy, the new balancer is built beside the
 * old one, and the old one keeps serving calls until the new one is ready to (it leaves
 * CONNECTING) or the old one stops being READY. The channel runs its top policy in
 * one; a parent policy runs each child in one, so a child's config may name another
 * policy later without a gap.
 */
import type {
  Balancer,
  BalancerBuildOptions,
  BalancerBuilder,
  BalancerClientConn,
  BalancerState,
  ClientConnState,
} from "./balancer.js";
import { ConnectivityState } from "./connectivity-state.js";
import type { GrpcError } from "../status/grpc-error.js";

interface Child {
  readonly builder: BalancerBuilder;
  balancer: Balancer | undefined;
  /** The child's last published state, held back while it is pending. */
  state: BalancerState | undefined;
}

/** Runs one policy at a time and switches to another without a gap (see above). */
export class GracefulSwitchBalancer implements Balancer {
  private current: Child | undefined;
  private pending: Child | undefined;

  private readonly buildOptions: (policyName: string) => BalancerBuildOptions;

  /**
   * @param cc - Where the current child's subchannels and states go: the channel's, or a
   *   parent's own BalancerClientConn that wraps what its child publishes.
   * @param buildOptions - The options each child is built with, or a function that gives
   *   them per policy name (so a child's logger can name it).
   */
  constructor(
    private readonly cc: BalancerClientConn,
    buildOptions: BalancerBuildOptions | ((policyName: string) => BalancerBuildOptions),
  ) {
    this.buildOptions = typeof buildOptions === "function" ? buildOptions : () => buildOptions;
  }

  /** The name of the newest policy (pending or current). */
  get policyName(): string | undefined {
    return (this.pending ?? this.current)?.builder.name;
  }

  /** Makes `builder`'s policy the newest one, unless it already is. */
  switchTo(builder: BalancerBuilder): void {
    if (this.policyName === builder.name) return;
    const child: Child = { builder, balancer: undefined, state: undefined };
    if (this.current === undefined) {
      this.current = child;
    } else {
      const replaced = this.pending;
      this.pending = child;
      replaced?.balancer?.close();
    }
    // A balancer may publish from inside build(); the child exists by then.
    child.balancer = builder.build({
      createSubchannel: (addresses, options) => this.cc.createSubchannel(addresses, options),
      requestReresolution: () => {
        if (child === this.current || child === this.pending) this.cc.requestReresolution();
      },
      updateState: (state) => this.onChildState(child, state),
    }, this.buildOptions(builder.name));
  }

  private get latest(): Balancer | undefined {
    return (this.pending ?? this.current)?.balancer;
  }

  private onChildState(child: Child, state: BalancerState): void {
    child.state = state;
    if (child === this.current) {
      // The old policy stopped serving: the new one takes over now, ready or not.
      if (this.pending !== undefined && state.state !== ConnectivityState.READY) this.swap();
      else this.cc.updateState(state);
    } else if (child === this.pending) {
      if (state.state !== ConnectivityState.CONNECTING || this.current?.state?.state !== ConnectivityState.READY) this.swap();
    }
  }

  private swap(): void {
    const old = this.current;
    this.current = this.pending;
    this.pending = undefined;
    old?.balancer?.close();
    const state = this.current?.state;
    if (state !== undefined) this.cc.updateState(state);
  }

  /** Gives the newest policy the resolver state and its config (switch first when the config names another policy). */
  updateClientConnState(state: ClientConnState): void {
    this.latest?.updateClientConnState(state);
  }

  /** Tells the newest policy that resolution failed. */
  resolverError(error: GrpcError): void {
    this.latest?.resolverError(error);
  }

  /** Asks the newest policy to leave IDLE. */
  exitIdle(): void {
    this.latest?.exitIdle();
  }

  /** Closes both policies; their subchannels shut down. */
  close(): void {
    this.pending?.balancer?.close();
    this.current?.balancer?.close();
    this.pending = undefined;
    this.current = undefined;
  }
}
