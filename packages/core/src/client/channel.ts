/**
 * A channel: a virtual connection to a target. It resolves the target's name,
 * balances calls over subchannels, connects lazily on the first call, and reconnects
 * with backoff. Calls made through createClient pick a transport from it.
 */
import type { BackoffOptions } from "../timers/backoff.js";
import type { Balancer, BalancerBuildOptions, BalancerClientConn, Picker, PickInfo } from "../balancer/balancer.js";
import type { ClientConnection, PickOwner } from "./client-call.js";
import { Code } from "../status/code.js";
import { protoCodec, type Codec } from "../wire/codec.js";
import type { Compressor } from "../wire/compression.js";
import { ConnectivityState } from "../balancer/connectivity-state.js";
import { insecureCredentials, type ChannelCredentials } from "../credentials/credentials.js";
import type { CallCredentials } from "../credentials/call-credentials.js";
import { CallActivity } from "./idle-timer.js";
import type { EventLoopHold } from "../timers/event-loop-hold.js";
import { GrpcError } from "../status/grpc-error.js";
import { LogVerbosity, componentLogger, log, trace } from "../observability/logging.js";
import { Metadata, type ReadonlyMetadata } from "../metadata/metadata.js";
import { channelzRegistry, type ChannelzChannel } from "../channelz/channelz.js";
import { HealthCheckedSubchannel } from "./health-check.js";
import { GracefulSwitchBalancer } from "../balancer/graceful-switch.js";
import type { MethodConfig, RetryThrottling } from "../config/method-config.js";
import { ChannelRetryState, RetryThrottle } from "../config/retry-state.js";
import type { StatsHandler } from "../observability/stats.js";
import { MetricsRecorderList } from "../observability/metrics-recorder.js";
import type { Interceptor } from "./interceptor.js";
import { balancerRegistry, codecRegistry, compressorsWith, resolveTransport, resolverRegistry } from "../registries.js";
import type { Registry } from "../registry/registry.js";
import type { Resolver, ResolverBuilder, ResolverState } from "../resolver/resolver.js";
import { SubchannelImpl } from "./subchannel.js";
import { innermostSubchannel } from "../balancer/subchannel-wrapper.js";
import { missingResolverError, parseTarget, type Target } from "../resolver/target.js";
import { parseServiceConfig, type BalancerPolicyName, type ParsedServiceConfig, type ServiceConfig } from "../config/service-config.js";
import type { CallAttemptLimits } from "../config/method-config.js";
import type { ClientTransport, Dialer, Http2Settings, TransportBuilder } from "../transport/transport.js";
import { proxyConfig } from "./proxy-config.js";
import { proxyRoute, type ProxyRoute } from "./proxy-route.js";

export interface ChannelOptions {
  /** The transport: a builder (`h2Transport()`), a registered name, or the first registered. */
  transport?: TransportBuilder | string;
  /** Transport credentials; insecure (plaintext h2c) by default. */
  credentials?: ChannelCredentials;
  /** Credentials that add metadata to every call (a bearer token, for example). */
  callCredentials?: CallCredentials;
  /**
   * Send call credentials that require transport security even on connections below
   * "privacy" (tests, or a trusted local network).
   */
  allowInsecureCallCredentials?: boolean;
  /** Client interceptors applied to every call, outermost first. */
  interceptors?: Interceptor[];
  /** Largest response message accepted, in bytes. Default 4 MiB. */
  maxReceiveMessageBytes?: number;
  /** Largest request message sent, in bytes. Default unlimited. */
  maxSendMessageBytes?: number;
  /** Compress requests with this registered encoding by default. */
  compression?: string;
  /** Message codec: "proto" (default), "json", or a Codec. */
  codec?: string | Codec;
  /** The :authority of calls; by default derived from the target. */
  authority?: string;
  /** Connection backoff (doc/connection-backoff.md). */
  backoff?: BackoffOptions;
  /** HTTP/2 settings for this channel's connections. */
  settings?: Http2Settings;
  /**
   * Load-balancing policy name; "pick_first" by default. Shorthand for a default service
   * config naming it. Typed as the names in BalancerConfigMap, which a balancer package
   * extends, so a misspelt name fails to compile.
   */
  loadBalancingPolicy?: BalancerPolicyName;
  /**
   * The service config used when the resolver provides none (doc/service_config.md).
   * Validated when the channel is created: an invalid one throws here.
   */
  defaultServiceConfig?: ServiceConfig | string;
  /** Resolvers for this channel only, consulted before the process-wide registry. */
  resolvers?: ResolverBuilder[];
  /** Compressors for this channel only, in addition to the process-wide ones. */
  compressors?: Compressor[];
  /** Told about every call of this channel (each attempt, its headers, messages, trailers and end) and every connection. */
  statsHandlers?: StatsHandler[];
  /** Bytes of request messages all retried calls together may hold for replay (gRFC A6). Default 16 MiB. */
  retryBufferBytes?: number;
  /** Bytes of request messages one retried call may hold for replay; past it the call commits. Default 1 MiB. */
  perCallRetryBufferBytes?: number;
  /**
   * After this long without a call, the channel goes IDLE: its resolver and balancer
   * shut down and its connections close; the next call wakes it. 30 minutes by default,
   * as grpc-go; 0 keeps the channel out of IDLE once it has connected.
   */
  idleTimeoutMs?: number;
  /** The most attempts a retried or hedged call makes, whatever its policy asks for. Default 5 (gRFC A6); at least 1. */
  maxCallAttempts?: number;
  /** Ignore the service config's retryPolicy and hedgingPolicy; transparent retries still happen. */
  disableRetries?: boolean;
  /** Ignore the service config the resolver supplies: the channel uses `defaultServiceConfig` (or none) only. */
  disableServiceConfig?: boolean;
  /** Turn client-side health checking off for this channel, whatever the service config's healthCheckConfig says. */
  disableHealthCheck?: boolean;
  /**
   * Makes every connection's socket instead of the transport's own connect (grpc-go's
   * WithContextDialer): it gets each address the resolver found and returns a connected
   * socket, on which the channel's credentials then run their handshake.
   */
  dialer?: Dialer;
  /**
   * The HTTP proxy this channel's connections tunnel through with CONNECT (gRFC A1):
   * `http://[user:password@]host[:port]`, or false for none. It replaces the proxy the
   * environment names (grpc_proxy, https_proxy, HTTPS_PROXY) and the no-proxy list
   * (no_grpc_proxy, no_proxy, NO_PROXY); without it those are read when the channel is
   * created. docs/networking.md says what is proxied.
   */
  proxy?: string | false;
}

/** The idle timeout of a channel that sets none, as grpc-go's: 30 minutes. */
export const defaultIdleTimeoutMs = 30 * 60 * 1000;

export const defaultMaxReceiveMessageBytes = 4 * 1024 * 1024;

/** What a picker sees of a call that has no request metadata. */
const noMetadata: ReadonlyMetadata = new Metadata();

interface PendingPick {
  info: PickInfo;
  /** The call waiting; once it has ended (cancel, deadline) the pick is dropped. */
  owner: PickOwner | undefined;
  waitForReady: boolean;
  resolve(t: ClientTransport): void;
  reject(e: GrpcError): void;
}

type StateWatcher = (state: ConnectivityState) => void;

export class Channel implements ClientConnection {
  readonly target: Target;
  readonly authority: string;
  readonly scheme: "http" | "https";
  readonly codec: Codec;
  readonly compressors: Registry<Compressor>;
  readonly acceptEncoding: string;
  readonly interceptors: readonly Interceptor[];
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly compression: string | undefined;
  readonly callCredentials: CallCredentials | undefined;
  readonly allowInsecureCallCredentials: boolean;
  /** This channel's channelz record, when channelz is enabled. */
  readonly channelz: ChannelzChannel | undefined;
  /** Retry throttling and the replay buffer of this channel's retried calls. */
  readonly retryState: ChannelRetryState;
  readonly statsHandlers: readonly StatsHandler[] | undefined;
  readonly statsTarget: string;
  /** The stats plug-ins' recorders of plug-in metrics (gRFC A79), handed to this channel's balancers. */
  private readonly metricsRecorder: MetricsRecorderList;
  /** @internal held while calls are pending, so they keep the process running; counts them for the idle timeout. */
  readonly pendingCalls: EventLoopHold;
  /** The same object as pendingCalls: it counts calls for the idle timeout. */
  private readonly activity: CallActivity;

  private readonly transport: TransportBuilder;
  private readonly credentials: ChannelCredentials;
  private readonly resolverBuilder: ResolverBuilder;
  /** How connections use the HTTP proxy, when one applies to this target. */
  private readonly proxyRoute: ProxyRoute | undefined;
  private resolver: Resolver | undefined;
  private balancer: GracefulSwitchBalancer | undefined;
  private picker: Picker | undefined;
  private _state = ConnectivityState.IDLE;
  private pending: PendingPick[] = [];
  private subchannels = new Set<SubchannelImpl>();
  private watchers = new Set<StateWatcher>();
  private lastResolverError: GrpcError | undefined;
  private readonly defaultConfig: ParsedServiceConfig;
  /** The service config in force: the resolver's last valid one, or the default. */
  private config: ParsedServiceConfig | undefined;
  private lastServiceConfigError: Error | undefined;
  private retryThrottling: RetryThrottling | undefined;
  /** What this channel allows of service configs' retry and hedging policies. */
  private readonly attemptLimits: CallAttemptLimits;

  constructor(target: string, private readonly options: ChannelOptions = {}) {
    const channelResolvers = new Map((options.resolvers ?? []).map((r) => [r.name, r]));
    const known = (s: string) => channelResolvers.has(s) || resolverRegistry.has(s);
    const defaultScheme = known("dns") ? "dns" : "passthrough";
    const missing = missingResolverError(target, known, [...new Set([...channelResolvers.keys(), ...resolverRegistry.names()])]);
    if (missing !== undefined) throw missing;
    this.target = parseTarget(target, defaultScheme, known);
    const rb = channelResolvers.get(this.target.scheme) ?? resolverRegistry.get(this.target.scheme);
    if (rb === undefined) {
      throw new Error(
        `no resolver registered for scheme "${this.target.scheme}" — install a package that provides one and register it`,
      );
    }
    this.proxyRoute = proxyRoute(this.target, proxyConfig(options.proxy, process.env));
    this.resolverBuilder = this.proxyRoute?.resolver ?? rb;
    this.channelz = channelzRegistry()?.addChannel(target);
    this.retryState = new ChannelRetryState(undefined, options.perCallRetryBufferBytes, options.retryBufferBytes);
    const idleTimeoutMs = options.idleTimeoutMs ?? defaultIdleTimeoutMs;
    if (!(idleTimeoutMs >= 0)) throw new Error(`idleTimeoutMs must be 0 (never idle) or a number of milliseconds; got ${idleTimeoutMs}`);
    this.pendingCalls = this.activity = new CallActivity(idleTimeoutMs, () => this.enterIdle());
    const maxCallAttempts = options.maxCallAttempts;
    if (maxCallAttempts !== undefined && !(Number.isInteger(maxCallAttempts) && maxCallAttempts >= 1)) {
      throw new Error(`maxCallAttempts must be a whole number of attempts, 1 or more; got ${maxCallAttempts}`);
    }
    this.attemptLimits = { maxCallAttempts, retries: options.disableRetries !== true };
    this.statsHandlers = options.statsHandlers;
    // The canonical form (gRFC A66's grpc.target): "dns:///host:443" for a bare "host:443".
    this.statsTarget = `${this.target.scheme}://${this.target.authority}/${this.target.endpoint}`;
    this.metricsRecorder = new MetricsRecorderList(
      (options.statsHandlers ?? []).flatMap((h) => h.metricsRecorder?.(this.statsTarget) ?? []),
      componentLogger("balancer", `metrics of ${this.target.raw}`),
    );
    this.transport = resolveTransport(options.transport);
    this.credentials = options.credentials ?? insecureCredentials();
    this.scheme = this.credentials.secure ? "https" : "http";
    this.authority =
      options.authority ?? rb.defaultAuthority?.(this.target) ?? this.target.endpoint.replace(/^\/+/, "");
    const codec = options.codec ?? "proto";
    this.codec = typeof codec === "string" ? codecRegistry.mustGet(codec) : codec;
    this.compressors = compressorsWith(options.compressors);
    this.acceptEncoding = this.compressors.names().join(",");
    this.interceptors = options.interceptors ?? [];
    this.maxReceiveMessageBytes = options.maxReceiveMessageBytes ?? defaultMaxReceiveMessageBytes;
    this.maxSendMessageBytes = options.maxSendMessageBytes ?? Number.MAX_SAFE_INTEGER;
    this.compression = options.compression;
    this.callCredentials = options.callCredentials ?? this.credentials.callCredentials;
    this.allowInsecureCallCredentials = options.allowInsecureCallCredentials ?? false;
    if (this.compression !== undefined && !this.compressors.has(this.compression)) {
      throw new Error(`compression "${this.compression}" is not registered — register a compressor with that name`);
    }
    this.defaultConfig = parseServiceConfig(
      options.defaultServiceConfig ??
        (options.loadBalancingPolicy !== undefined ? { loadBalancingPolicy: options.loadBalancingPolicy } : undefined),
      balancerRegistry,
      undefined,
      this.attemptLimits,
    );
    this.useRetryThrottling(this.defaultConfig.retryThrottling);
  }

  /** The channel's connectivity state; with `tryToConnect`, an IDLE channel starts connecting. */
  getConnectivityState(tryToConnect = false): ConnectivityState {
    if (tryToConnect) this.exitIdle();
    return this._state;
  }

  /** Resolves with the new state once it differs from `from`, or rejects when `signal` aborts. */
  waitForStateChange(from: ConnectivityState, signal?: AbortSignal): Promise<ConnectivityState> {
    if (this._state !== from) return Promise.resolve(this._state);
    if (signal?.aborted) return Promise.reject(GrpcError.from(signal.reason, Code.CANCELLED));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.watchers.delete(w);
        reject(GrpcError.from(signal!.reason, Code.CANCELLED));
      };
      const w: StateWatcher = (s) => {
        if (s === from) return;
        this.watchers.delete(w);
        signal?.removeEventListener("abort", onAbort);
        resolve(s);
      };
      this.watchers.add(w);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Resolves once the channel is READY (connecting if needed), rejects on `signal`. */
  async waitForReady(signal?: AbortSignal): Promise<void> {
    let s = this.getConnectivityState(true);
    while (s !== ConnectivityState.READY) {
      if (s === ConnectivityState.SHUTDOWN) throw new GrpcError(Code.CANCELLED, "channel is closed");
      s = await this.waitForStateChange(s, signal);
      if (s === ConnectivityState.IDLE) s = this.getConnectivityState(true);
    }
  }

  private setState(state: ConnectivityState): void {
    if (this._state === state) return;
    trace("channel", `${this.target.raw}: ${this._state} -> ${state}`);
    this._state = state;
    if (this.channelz !== undefined) {
      this.channelz.state = state;
      this.channelz.trace.add("INFO", `Channel Connectivity change to ${state}`);
    }
    for (const w of [...this.watchers]) w(state);
  }

  private exitIdle(): void {
    if (this._state === ConnectivityState.SHUTDOWN) return;
    if (this.resolver === undefined) {
      this.setState(ConnectivityState.CONNECTING);
      this.activity.start();
      // A resolver closed when the channel went idle may still answer: only the current one is heard.
      let resolver: Resolver | undefined;
      const current = () => resolver === undefined || resolver === this.resolver;
      resolver = this.resolver = this.resolverBuilder.build(
        this.target,
        {
          updateState: (s) => {
            if (current()) this.onResolverState(s);
          },
          reportError: (e) => {
            if (current()) this.onResolverError(e);
          },
        },
        { authority: this.authority },
      );
    } else {
      this.balancer?.exitIdle();
    }
  }

  private onResolverState(state: ResolverState): void {
    if (this._state === ConnectivityState.SHUTDOWN) return;
    this.lastResolverError = undefined;
    let config = this.defaultConfig;
    if (state.serviceConfig !== undefined && this.options.disableServiceConfig !== true) {
      try {
        config = parseServiceConfig(state.serviceConfig, balancerRegistry, undefined, this.attemptLimits);
        this.lastServiceConfigError = undefined;
      } catch (e) {
        // An invalid config keeps the last good one; with none yet, the resolution failed.
        this.lastServiceConfigError = e as Error;
        log(LogVerbosity.INFO, `channel ${this.target.raw}: ignoring the resolver's service config: ${(e as Error).message}`);
        if (this.config === undefined) {
          this.onResolverError(new Error(`the resolver's service config is invalid: ${(e as Error).message}`));
          return;
        }
        config = this.config;
      }
    }
    this.useConfig(config).updateClientConnState({ resolverState: state, config: config.balancerConfig });
  }

  /** Switches to the config's policy when it differs; the old one serves until the new one is ready. */
  private useConfig(config: ParsedServiceConfig): Balancer {
    this.config = config;
    this.useRetryThrottling(config.retryThrottling);
    this.balancer ??= new GracefulSwitchBalancer(this.balancerConn, (policyName) => this.balancerBuildOptions(policyName));
    this.balancer.switchTo(config.balancer);
    return this.balancer;
  }

  private onResolverError(error: Error): void {
    if (this._state === ConnectivityState.SHUTDOWN) return;
    const e = new GrpcError(Code.UNAVAILABLE, `name resolution failed for "${this.target.raw}": ${error.message}`);
    this.lastResolverError = e;
    (this.balancer ?? this.useConfig(this.config ?? this.defaultConfig)).resolverError(e);
  }

  /** What a balancer of this channel is built with; its logger names the policy and the target. */
  private balancerBuildOptions(policyName: string): BalancerBuildOptions {
    return {
      target: this.target,
      authority: this.authority,
      secure: this.credentials.secure,
      logger: componentLogger("balancer", `${policyName} balancer of ${this.target.raw}`),
      metricsRecorder: this.metricsRecorder,
    };
  }

  /** Why the resolver's last service config was refused, when it was. */
  get serviceConfigError(): Error | undefined {
    return this.lastServiceConfigError;
  }

  private readonly balancerConn: BalancerClientConn = {
    createSubchannel: (addresses, options) => {
      const sc = new SubchannelImpl(addresses, {
        transport: this.transport,
        dialer: this.options.dialer,
        proxyFor: this.proxyRoute?.proxyFor,
        credentials: this.credentials,
        authority: this.authority,
        settings: this.options.settings,
        backoff: this.options.backoff,
        channelz: this.channelz === undefined ? undefined : channelzRegistry()?.addSubchannel(this.channelz, addresses.map((a) => a.addr).join(",")),
        connectionFor: (transport) => this.connectionOver(transport),
        statsHandlers: this.statsHandlers,
      });
      this.subchannels.add(sc);
      sc.watch((s) => {
        if (s === ConnectivityState.SHUTDOWN) this.subchannels.delete(sc);
      });
      if (options?.healthCheck !== true || this.options.disableHealthCheck === true) return sc;
      return new HealthCheckedSubchannel(sc, () => this.config?.healthCheckServiceName);
    },
    updateState: ({ state, picker }) => {
      if (this._state === ConnectivityState.SHUTDOWN) return;
      this.picker = picker;
      this.setState(state);
      this.processPending();
    },
    requestReresolution: () => this.resolver?.resolveNow(),
  };

  /** The service config's settings for a method, when it has any (ClientConnection). */
  methodConfig(path: string): MethodConfig | undefined {
    return (this.config ?? this.defaultConfig).methods.lookup(path);
  }

  /** A new retryThrottling starts with full tokens; the same one keeps its count. */
  private useRetryThrottling(config: RetryThrottling | undefined): void {
    const current = this.retryThrottling;
    if (current?.maxTokens === config?.maxTokens && current?.tokenRatio === config?.tokenRatio) return;
    this.retryThrottling = config;
    this.retryState.throttle = config === undefined ? undefined : new RetryThrottle(config);
  }

  /** Calls over one connection of this channel, for the producers of its subchannel (the health checker, ORCA's listener). */
  private connectionOver(transport: ClientTransport): ClientConnection {
    return {
      authority: this.authority,
      scheme: this.scheme,
      codec: protoCodec,
      compressors: this.compressors,
      acceptEncoding: this.acceptEncoding,
      allowInsecureCallCredentials: this.allowInsecureCallCredentials,
      interceptors: [],
      compression: undefined,
      maxReceiveMessageBytes: this.maxReceiveMessageBytes,
      maxSendMessageBytes: this.maxSendMessageBytes,
      callCredentials: this.callCredentials,
      getTransport: () => transport,
    };
  }

  /** Picks a transport for a call (CallHost). */
  getTransport(
    waitForReady: boolean,
    deadline: number | undefined,
    path = "",
    owner?: PickOwner,
    metadata: ReadonlyMetadata = noMetadata,
  ): ClientTransport | Promise<ClientTransport> {
    if (this._state === ConnectivityState.SHUTDOWN) throw new GrpcError(Code.CANCELLED, "channel is closed");
    if (this.picker === undefined && this._state === ConnectivityState.IDLE) {
      // A resolver may answer inside build(), so the picker can exist right after this.
      this.exitIdle();
    }
    const info: PickInfo = { path, metadata, deadline };
    const picker = this.picker;
    if (picker !== undefined) {
      const r = this.tryPick(picker, info, waitForReady, owner);
      if (r !== undefined) return r;
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ info, owner, waitForReady, resolve, reject });
    });
  }

  /** A transport, undefined to keep waiting; throws to fail the call. */
  private tryPick(picker: Picker, info: PickInfo, waitForReady: boolean, owner: PickOwner | undefined): ClientTransport | undefined {
    const r = picker.pick(info);
    if (r.type === "pick") {
      const t = (innermostSubchannel(r.subchannel) as SubchannelImpl | HealthCheckedSubchannel).transport;
      if (t !== undefined && owner !== undefined) owner.usePick(r.onDone);
      return t;
    }
    if (r.type === "fail") {
      if (!(waitForReady && r.error.code === Code.UNAVAILABLE)) throw r.error;
      // The call waits for ready; should its deadline come first, it says why it waited.
      if (owner !== undefined) owner.lastPickError = r.error;
    }
    return undefined;
  }

  private processPending(): void {
    const picker = this.picker;
    if (picker === undefined || this.pending.length === 0) return;
    const waiting = this.pending;
    this.pending = [];
    const now = Date.now();
    for (const p of waiting) {
      if (p.owner?.isClosed) continue;
      const deadline = p.info.deadline;
      if (deadline !== undefined && deadline <= now) {
        const last = p.owner?.lastPickError;
        p.reject(
          new GrpcError(
            Code.DEADLINE_EXCEEDED,
            `deadline exceeded while waiting for a connection${last !== undefined ? `; last connection error: ${last.rawMessage}` : ""}`,
          ),
        );
        continue;
      }
      let t: ClientTransport | undefined;
      try {
        t = this.tryPick(picker, p.info, p.waitForReady, p.owner);
      } catch (e) {
        p.reject(e as GrpcError);
        continue;
      }
      if (t !== undefined) p.resolve(t);
      else this.pending.push(p);
    }
  }

  /**
   * Goes IDLE after the idle timeout with no call (grpc-go's idleness): the resolver
   * and balancer shut down, their connections close once their last stream ends, and
   * no timer of this channel runs; the next call (or getConnectivityState(true))
   * resolves and connects again.
   */
  private enterIdle(): void {
    if (this._state === ConnectivityState.SHUTDOWN || this.resolver === undefined || this.pending.length > 0) return;
    trace("channel", `${this.target.raw}: no call for ${this.options.idleTimeoutMs ?? defaultIdleTimeoutMs} ms; entering idle mode`);
    this.channelz?.trace.add("INFO", "Channel entering idle mode");
    this.activity.stop();
    const resolver = this.resolver;
    const balancer = this.balancer;
    this.resolver = undefined;
    this.balancer = undefined;
    this.picker = undefined;
    this.lastResolverError = undefined;
    resolver.close();
    balancer?.close();
    // A subchannel its balancer kept (none should) closes too: an idle channel holds no connection.
    for (const sc of [...this.subchannels]) sc.shutdown();
    this.subchannels.clear();
    this.activity.sleep();
    this.setState(ConnectivityState.IDLE);
  }

  /**
   * Ends the connection backoff of every subchannel now (grpc-go's ResetConnectBackoff):
   * one waiting to reconnect after a failure tries at once, and the next failure waits
   * the initial backoff again. Useful when the application knows the network came back.
   */
  resetConnectBackoff(): void {
    for (const sc of [...this.subchannels]) sc.resetConnectBackoff();
  }

  /** Closes the channel: calls waiting for a connection fail, connections close. */
  close(): void {
    if (this._state === ConnectivityState.SHUTDOWN) return;
    this.activity.stop();
    this.setState(ConnectivityState.SHUTDOWN);
    this.resolver?.close();
    // Calls in flight end too, as grpc-go's ClientConn.Close cancels them; the
    // connections go before the balancer, which would only close them gracefully.
    for (const sc of [...this.subchannels]) sc.destroy();
    this.balancer?.close();
    this.subchannels.clear();
    const waiting = this.pending;
    this.pending = [];
    for (const p of waiting) p.reject(new GrpcError(Code.CANCELLED, "channel closed while the call waited for a connection"));
    if (this.channelz !== undefined) channelzRegistry()?.removeChannel(this.channelz);
    this.watchers.clear();
    this.pendingCalls.close();
  }

  /** @internal the last resolver error, for diagnostics. */
  get resolverError(): GrpcError | undefined {
    return this.lastResolverError;
  }
}

/**
 * Creates a channel to `target` ("host:port", "dns:///name:443", "unix:///path", ...).
 *
 * @example
 * const channel = createChannel("localhost:50051", { transport: h2Transport() });
 * const client = createClient(GreeterService, channel);
 */
export function createChannel(target: string, options?: ChannelOptions): Channel {
  return new Channel(target, options);
}
