/**
 * A subchannel: one logical connection to one backend, over the first of its
 * addresses that connects. It owns at most one transport at a time, reconnects with
 * backoff after failures (doc/connection-backoff.md), and goes IDLE when a working
 * connection is lost, so the balancer decides when to reconnect.
 */
import { Backoff, type BackoffOptions } from "../timers/backoff.js";
import type { Subchannel } from "../balancer/balancer.js";
import { channelzRegistry, type ChannelzSocket, type ChannelzSubchannel } from "../channelz/channelz.js";
import { Code } from "../status/code.js";
import { ConnectivityState } from "../balancer/connectivity-state.js";
import type { ChannelCredentials } from "../credentials/credentials.js";
import { GrpcError } from "../status/grpc-error.js";
import { trace } from "../observability/logging.js";
import { LongTimer } from "../timers/long-timer.js";
import type { Address } from "../resolver/resolver.js";
import type { ClientTransport, Dialer, Http2Settings, TransportBuilder } from "../transport/transport.js";
import type { HttpConnectProxy } from "../transport/http-connect-proxy.js";
import { startConnectionStats, type StatsHandler } from "../observability/stats.js";
import type { ClientConnection } from "./client-call.js";
import { ProducerSet, producersKey, type ProducerBuilder, type ProducerHandle } from "./producer.js";

export interface SubchannelOptions {
  transport: TransportBuilder;
  /** The channel's dialer, handed to the transport for every connection. */
  dialer?: Dialer;
  /** The HTTP proxy to tunnel through to an address, when the channel has one for it. */
  proxyFor?: (address: string) => HttpConnectProxy | undefined;
  credentials: ChannelCredentials;
  authority: string;
  settings?: Http2Settings;
  backoff?: BackoffOptions;
  /** This subchannel's channelz record, when channelz is enabled. */
  channelz?: ChannelzSubchannel;
  /** Called on every state change (the channel logs, counts or re-picks). */
  onStateChange?: () => void;
  /** Calls over one of this subchannel's connections, for its producers (the health checker, ORCA's listener). */
  connectionFor?: (transport: ClientTransport) => ClientConnection;
  /** Told when each connection begins and ends. */
  statsHandlers?: readonly StatsHandler[] | undefined;
}

type ConnectionListener = (connection: ClientConnection | undefined) => void;

type Listener = (state: ConnectivityState, error?: GrpcError) => void;

export class SubchannelImpl implements Subchannel {
  private _state = ConnectivityState.IDLE;
  private listeners = new Set<Listener>();
  private backoff: Backoff;
  private retryTimer: LongTimer | undefined;
  private _transport: ClientTransport | undefined;
  private socket: ChannelzSocket | undefined;
  private attempt = 0;
  /** The calls-over-this-connection view of the current transport, built when a producer first asks. */
  private connection: ClientConnection | undefined;
  private readonly connectionListeners = new Set<ConnectionListener>();
  private readonly producers: ProducerSet;
  lastError: GrpcError | undefined;

  constructor(
    readonly addresses: readonly Address[],
    private readonly opts: SubchannelOptions,
  ) {
    this.backoff = new Backoff(opts.backoff);
    this.producers = new ProducerSet({ addresses, watchConnection: (listener) => this.watchConnection(listener) });
  }

  get state(): ConnectivityState {
    return this._state;
  }

  /** The connected transport when READY. */
  get transport(): ClientTransport | undefined {
    return this._transport;
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The producer `builder` makes on this subchannel (getOrBuildProducer). */
  readonly [producersKey] = <P>(builder: ProducerBuilder<P>): ProducerHandle<P> => this.producers.get(builder);

  private watchConnection(listener: ConnectionListener): () => void {
    this.connectionListeners.add(listener);
    const current = this.currentConnection();
    if (current !== undefined) listener(current);
    return () => this.connectionListeners.delete(listener);
  }

  private currentConnection(): ClientConnection | undefined {
    const transport = this._transport;
    if (transport === undefined || this.opts.connectionFor === undefined) return undefined;
    this.connection ??= this.opts.connectionFor(transport);
    return this.connection;
  }

  /** Tells producers the connection changed; they hear it before the state listeners do. */
  private announceConnection(): void {
    this.connection = undefined;
    if (this.connectionListeners.size === 0) return;
    const current = this.currentConnection();
    for (const l of [...this.connectionListeners]) l(current);
  }

  connect(): void {
    if (this._state !== ConnectivityState.IDLE) return;
    void this.tryConnect();
  }

  private setState(state: ConnectivityState, error?: GrpcError): void {
    if (this._state === ConnectivityState.SHUTDOWN) return;
    trace("subchannel", `${this.addresses.map((a) => a.addr).join(",")}: ${this._state} -> ${state}${error !== undefined ? ` (${error.rawMessage})` : ""}`);
    this._state = state;
    if (error !== undefined) this.lastError = error;
    const cz = this.opts.channelz;
    if (cz !== undefined) {
      cz.state = state;
      cz.trace.add(
        state === ConnectivityState.TRANSIENT_FAILURE ? "WARNING" : "INFO",
        `Subchannel Connectivity change to ${state}${error !== undefined ? `: ${error.rawMessage}` : ""}`,
      );
      if (state === ConnectivityState.SHUTDOWN) channelzRegistry()?.removeSubchannel(cz);
    }
    for (const l of [...this.listeners]) l(state, error);
    this.opts.onStateChange?.();
  }

  private async tryConnect(): Promise<void> {
    const attempt = ++this.attempt;
    this.setState(ConnectivityState.CONNECTING);
    const errors: string[] = [];
    for (const address of this.addresses) {
      let transport: ClientTransport;
      let connectionEnd: (() => void) | undefined;
      try {
        transport = await this.opts.transport.connect(address.addr, {
          authority: address.serverName ?? this.opts.authority,
          credentials: this.opts.credentials,
          settings: this.opts.settings,
          connectTimeoutMs: this.backoff.connectTimeoutMs(),
          dialer: this.opts.dialer,
          proxy: this.opts.proxyFor?.(address.addr),
          onGoaway: () => this.onTransportGone(transport),
          onClose: () => {
            connectionEnd?.();
            this.onTransportGone(transport);
          },
        });
      } catch (e) {
        errors.push(`${address.addr}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (attempt !== this.attempt || this._state === ConnectivityState.SHUTDOWN) {
        transport.close();
        return;
      }
      this._transport = transport;
      this.recordSocket(transport);
      connectionEnd = startConnectionStats(this.opts.statsHandlers, { side: "client", peer: transport.peer.address, localAddress: transport.localAddress });
      this.backoff.reset();
      this.announceConnection();
      this.setState(ConnectivityState.READY);
      return;
    }
    if (this._state === ConnectivityState.SHUTDOWN) return;
    const delay = this.backoff.next();
    const error = new GrpcError(Code.UNAVAILABLE, `failed to connect to ${errors.join("; ")}`);
    this.setState(ConnectivityState.TRANSIENT_FAILURE, error);
    this.retryTimer = new LongTimer(
      () => {
        this.retryTimer = undefined;
        if (this._state === ConnectivityState.TRANSIENT_FAILURE) void this.tryConnect();
      },
      delay,
      true,
    );
  }

  private recordSocket(transport: ClientTransport): void {
    const cz = this.opts.channelz;
    const registry = channelzRegistry();
    if (cz === undefined || registry === undefined) return;
    this.socket = registry.addSocket(cz, transport);
    registry.socketOf.set(transport, this.socket);
  }

  private forgetSocket(): void {
    if (this.socket === undefined) return;
    channelzRegistry()?.removeSocket(this.socket);
    this.socket = undefined;
  }

  private onTransportGone(transport: ClientTransport | undefined): void {
    if (transport === undefined || transport !== this._transport) return;
    this._transport = undefined;
    this.forgetSocket();
    this.announceConnection();
    this.setState(ConnectivityState.IDLE);
  }

  shutdown(): void {
    if (this._state === ConnectivityState.SHUTDOWN) return;
    this.retryTimer?.clear();
    const t = this._transport;
    this._transport = undefined;
    this.forgetSocket();
    this.announceConnection();
    this.connectionListeners.clear();
    this.producers.close();
    this.setState(ConnectivityState.SHUTDOWN);
    this.listeners.clear();
    t?.close();
  }

  /**
   * Forgets the backoff: the next failure waits the initial delay again, and a
   * subchannel waiting to reconnect after a failure tries at once.
   */
  resetConnectBackoff(): void {
    this.backoff.reset();
    if (this._state !== ConnectivityState.TRANSIENT_FAILURE || this.retryTimer === undefined) return;
    this.retryTimer.clear();
    this.retryTimer = undefined;
    void this.tryConnect();
  }

  /** Closes the connection now: open calls on it fail. */
  destroy(): void {
    const t = this._transport;
    this.shutdown();
    t?.destroy();
  }
}
