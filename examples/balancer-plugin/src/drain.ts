/**
 * drain: a parent policy over one child policy. Backends whose address the config
 * lists in `drained` look TRANSIENT_FAILURE to the child, so the child sends them no
 * calls (their connections stay up); taking an address off the list hands the backend
 * back to the child in its real state. The child is the first registered policy of
 * `childPolicy`, run in a GracefulSwitchBalancer so a new config may name another.
 */
import {
  Code,
  ConnectivityState,
  GracefulSwitchBalancer,
  GrpcError,
  SubchannelWrapper,
  parseLoadBalancingConfig,
  type Balancer,
  type BalancerBuildOptions,
  type BalancerBuilder,
  type BalancerClientConn,
  type ChosenBalancer,
  type ClientConnState,
  type LoadBalancingConfig,
  type Subchannel,
} from "@grpckit/core";
import * as z from "zod";

/** drain's config as written in a service config. */
export interface DrainConfigJson {
  /** Addresses ("10.0.0.1:443") of the backends to drain. */
  drained?: string[];
  /** The child policy: the first registered policy of the list. */
  childPolicy: LoadBalancingConfig[];
}

/** drain's config once parsed: the child policy chosen and its config parsed. */
export interface DrainConfig {
  readonly drained: readonly string[];
  readonly childPolicy: ChosenBalancer;
}

const configSchema: z.ZodType<DrainConfig> = z.object({
  drained: z.array(z.string()).default([]),
  childPolicy: z.array(z.record(z.string(), z.unknown())).transform((list, ctx) => {
    try {
      // Throws when no policy of the list is registered, or its config is refused.
      return parseLoadBalancingConfig(list, "childPolicy");
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }),
}) as unknown as z.ZodType<DrainConfig>;

type Listener = (state: ConnectivityState, error?: GrpcError) => void;

/**
 * The subchannel the child is given: the channel's, except that while drained it
 * reports TRANSIENT_FAILURE. A pick of it still goes over the wrapped connection.
 */
class DrainableSubchannel extends SubchannelWrapper {
  private readonly listeners = new Set<Listener>();
  drained = false;

  constructor(
    wrapped: Subchannel,
    private readonly forget: (sc: DrainableSubchannel) => void,
  ) {
    super(wrapped);
  }

  override get state(): ConnectivityState {
    return this.drained ? ConnectivityState.TRANSIENT_FAILURE : this.wrapped.state;
  }

  override watch(listener: Listener): () => void {
    this.listeners.add(listener);
    // Real state changes reach the child only while the backend is not drained.
    const unwatch = this.wrapped.watch((state, error) => {
      if (!this.drained) listener(state, error);
    });
    return () => {
      this.listeners.delete(listener);
      unwatch();
    };
  }

  /** Connects the real backend; a drained one also fails at once in the child's eyes. */
  override connect(): void {
    super.connect();
    if (this.drained) this.tell();
  }

  override shutdown(): void {
    this.forget(this);
    super.shutdown();
  }

  /** Drains or restores the backend, telling the child its state as it now sees it. */
  setDrained(drained: boolean): void {
    if (drained === this.drained) return;
    this.drained = drained;
    this.tell();
  }

  private tell(): void {
    const error = this.drained ? new GrpcError(Code.UNAVAILABLE, `${this.addresses[0]?.addr} is drained`) : undefined;
    for (const l of [...this.listeners]) l(this.state, error);
  }
}

class DrainBalancer implements Balancer<DrainConfig> {
  private readonly child: GracefulSwitchBalancer;
  private readonly subchannels = new Set<DrainableSubchannel>();
  private drained: ReadonlySet<string> = new Set();

  constructor(cc: BalancerClientConn, options: BalancerBuildOptions | undefined) {
    // The child's subchannels are wrapped; its states and re-resolution requests go straight to the channel.
    const childCc: BalancerClientConn = {
      createSubchannel: (addresses, createOptions) => {
        const sc = new DrainableSubchannel(cc.createSubchannel(addresses, createOptions), (gone) => this.subchannels.delete(gone));
        sc.drained = this.isDrained(sc);
        this.subchannels.add(sc);
        return sc;
      },
      updateState: (state) => cc.updateState(state),
      requestReresolution: () => cc.requestReresolution(),
    };
    // A channel always passes build options; only a test may build the policy without them.
    this.child = new GracefulSwitchBalancer(childCc, options as BalancerBuildOptions);
  }

  updateClientConnState({ resolverState, config }: ClientConnState<DrainConfig>): void {
    this.drained = new Set(config.drained);
    for (const sc of this.subchannels) sc.setDrained(this.isDrained(sc));
    this.child.switchTo(config.childPolicy.builder);
    this.child.updateClientConnState({ resolverState, config: config.childPolicy.config });
  }

  private isDrained(sc: Subchannel): boolean {
    return sc.addresses.some((a) => this.drained.has(a.addr));
  }

  resolverError(error: GrpcError): void {
    this.child.resolverError(error);
  }

  exitIdle(): void {
    this.child.exitIdle();
  }

  close(): void {
    this.child.close();
    this.subchannels.clear();
  }
}

/** The drain policy's builder, to register under its name. */
export const drainBalancer: BalancerBuilder<DrainConfig> = {
  name: "drain",
  configSchema,
  build: (cc, options) => new DrainBalancer(cc, options),
};
