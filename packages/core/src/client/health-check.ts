/**
 * Client-side health checking (gRFC A17). Core owns when a check runs: on each READY
 * connection of a subchannel whose balancer asked for it, while the service config
 * names a healthCheckConfig.serviceName. The check itself (a Watch stream of
 * grpc.health.v1) is plugged in by @grpckit/health through registerHealthChecker, so
 * core carries no health proto. It runs on the subchannel's producer seam, the one a
 * policy's own per-subchannel streams use.
 */
import type { Subchannel } from "../balancer/balancer.js";
import type { ClientConnection } from "./client-call.js";
import { ConnectivityState } from "../balancer/connectivity-state.js";
import type { GrpcError } from "../status/grpc-error.js";
import type { Address } from "../resolver/resolver.js";
import type { SubchannelImpl } from "./subchannel.js";
import type { ClientTransport } from "../transport/transport.js";
import { processWide } from "../registry/process-state.js";
import { getOrBuildProducer, producersKey, type ProducerBuilder, type ProducerContext, type ProducerHandle } from "./producer.js";

/** What a health checker gets for one connection. */
export interface HealthCheckContext {
  /** Calls made with createClient(…, ctx.connection) go over the checked connection only. */
  readonly connection: ClientConnection;
  /** healthCheckConfig.serviceName ("" asks about the whole server). */
  readonly serviceName: string;
  /**
   * Reports the connection's health: READY while the backend is serving,
   * TRANSIENT_FAILURE (with the reason) while it is not, CONNECTING while a check
   * (re)starts. Ignored once the checker was stopped.
   */
  setState(state: ConnectivityState, error?: GrpcError): void;
}

/** Starts checking one connection; returns a function that stops the check. */
export type HealthChecker = (ctx: HealthCheckContext) => () => void;

// One health checker for every copy of core in the process.
const registered = processWide<{ checker: HealthChecker | undefined }>("health-checker", () => ({ checker: undefined }));

/** Sets (or, with undefined, removes) the process-wide client-side health checker. */
export function registerHealthChecker(checker: HealthChecker | undefined): void {
  registered.checker = checker;
}

type Listener = (state: ConnectivityState, error?: GrpcError) => void;

/** The health checker's producer on one subchannel: the connection it checks over. */
class HealthCheckConnection {
  connection: ClientConnection | undefined;
  readonly stop: () => void;

  constructor(context: ProducerContext) {
    this.stop = context.watchConnection((connection) => {
      this.connection = connection;
    });
  }
}

const healthCheckConnection: ProducerBuilder<HealthCheckConnection> = {
  build(context) {
    const producer = new HealthCheckConnection(context);
    return { producer, close: producer.stop };
  },
};

/**
 * A subchannel as its balancer sees it when health checking is asked for: READY only
 * while the checker says the backend serves. Every other state passes through.
 */
export class HealthCheckedSubchannel implements Subchannel {
  private _state: ConnectivityState;
  private readonly listeners = new Set<Listener>();
  private stopCheck: (() => void) | undefined;
  private readonly producer: ProducerHandle<HealthCheckConnection>;

  constructor(
    readonly inner: SubchannelImpl,
    /** The service to check, read when a connection becomes READY; undefined turns checking off. */
    private readonly serviceName: () => string | undefined,
  ) {
    this._state = inner.state;
    this.producer = getOrBuildProducer(inner, healthCheckConnection);
    inner.watch((state, error) => this.onInnerState(state, error));
  }

  get addresses(): readonly Address[] {
    return this.inner.addresses;
  }

  get state(): ConnectivityState {
    return this._state;
  }

  /** The connection, only while it is healthy: calls never go to an unhealthy backend. */
  get transport(): ClientTransport | undefined {
    return this._state === ConnectivityState.READY ? this.inner.transport : undefined;
  }

  connect(): void {
    this.inner.connect();
  }

  /** Producers run on the checked subchannel's connection, healthy or not. */
  readonly [producersKey] = <P>(builder: ProducerBuilder<P>): ProducerHandle<P> => getOrBuildProducer(this.inner, builder);

  shutdown(): void {
    this.stop();
    this.producer.release();
    this.inner.shutdown();
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private onInnerState(state: ConnectivityState, error?: GrpcError): void {
    this.stop();
    const connection = this.producer.producer.connection;
    const serviceName = this.serviceName();
    const checker = registered.checker;
    if (state !== ConnectivityState.READY || connection === undefined || serviceName === undefined || checker === undefined) {
      this.emit(state, error);
      return;
    }
    let stopped = false;
    this.emit(ConnectivityState.CONNECTING);
    const stop = checker({
      connection,
      serviceName,
      setState: (s, e) => {
        if (!stopped && this.producer.producer.connection === connection) this.emit(s, e);
      },
    });
    this.stopCheck = () => {
      stopped = true;
      stop();
    };
  }

  private stop(): void {
    const stop = this.stopCheck;
    this.stopCheck = undefined;
    stop?.();
  }

  private emit(state: ConnectivityState, error?: GrpcError): void {
    if (state === this._state && state !== ConnectivityState.TRANSIENT_FAILURE) return;
    this._state = state;
    for (const l of [...this.listeners]) l(state, error);
  }
}
