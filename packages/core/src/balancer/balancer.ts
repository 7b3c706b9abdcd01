/**
 * Load balancing, shaped like grpc-go's balancer package: a builder registered by
 * name builds a Balancer for one channel. The balancer creates subchannels through a
 * narrow BalancerClientConn and publishes an immutable Picker that calls pick from.
 */
import type { GrpcError } from "../status/grpc-error.js";
import type { ConnectivityState } from "./connectivity-state.js";
import type { Address, ResolverState } from "../resolver/resolver.js";
import type { ConfigurableBuilder } from "../registry/registry.js";
import type { Code } from "../status/code.js";
import type { ReadonlyMetadata } from "../metadata/metadata.js";
import type { Target } from "../resolver/target.js";
import type { Logger } from "../observability/logging.js";
import type { MetricsRecorder } from "../observability/metrics-recorder.js";
import type { OrcaLoadReport } from "../gen/xds/data/orca/v3/orca_load_report_pb.js";

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

/**
 * How a picked call attempt ended, told to the picker's `onDone` once per attempt (as
 * grpc-go's balancer.DoneInfo). A retried call picks again for each attempt, and each
 * pick's `onDone` hears about its own attempt only.
 */
export interface PickDoneInfo {
  /** The attempt's status code: OK, or the code of `error`. */
  readonly code: Code;
  /** The attempt's error (its code and message); undefined when it ended OK. */
  readonly error: GrpcError | undefined;
  /**
   * The trailing metadata the server sent; empty when the attempt ended without
   * trailers (cancelled, reset, or never reached the server).
   */
  readonly trailers: ReadonlyMetadata;
  /**
   * The server's ORCA load report for this attempt (gRFC A51), parsed from the
   * `endpoint-load-metrics-bin` trailer when the server sent one (decoded when first
   * read); undefined when it sent none or sent bytes that are not a report. Its type
   * and schema are exported by `@grpckit/core/orca`.
   */
  readonly loadReport: OrcaLoadReport | undefined;
  /** Bytes of request messages this attempt wrote to its stream, as framed on the wire (5-byte prefix, compressed size). */
  readonly bytesSent: number;
  /** Bytes of response messages this attempt received, as framed on the wire (5-byte prefix, compressed size). */
  readonly bytesReceived: number;
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

/** What a picker knows of the call it picks for (as grpc-go's balancer.PickInfo). */
export interface PickInfo {
  /** The full method name: "/package.Service/Method". */
  readonly path: string;
  /**
   * The call's request metadata as the application set it: a header-hashing policy
   * computes its key from it. Call credentials run after the pick, on the connection it
   * chose, so their headers are not here (as in grpc-go). Read-only.
   */
  readonly metadata: ReadonlyMetadata;
  /** When the call's deadline passes, in milliseconds since the epoch; undefined when it has none. */
  readonly deadline: number | undefined;
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

/**
 * What a channel tells the balancer it builds (as grpc-go's balancer.BuildOptions).
 * A channel always passes them; a builder that needs none of it may leave the
 * parameter out.
 */
export interface BalancerBuildOptions {
  /** The channel's target, parsed ("dns:///example.com:443" is scheme "dns", endpoint "example.com:443"). */
  readonly target: Target;
  /** The :authority of the channel's calls. */
  readonly authority: string;
  /** Whether the channel's credentials secure its connections (TLS), so calls go over https. */
  readonly secure: boolean;
  /**
   * Writes through grpckit's logging (GRPC_VERBOSITY, `setLogger`), each line naming
   * the policy and the channel's target; `debug` lines are traces of the "balancer"
   * tracer (GRPC_TRACE=balancer).
   */
  readonly logger: Logger;
  /**
   * Where the policy records the instruments it registered (gRFC A79): every stats
   * plug-in of the channel gets each record, with the channel's `grpc.target` added.
   * A record whose labels do not match the instrument's descriptor is dropped and logged.
   */
  readonly metricsRecorder: MetricsRecorder;
}

export interface BalancerBuilder<C = unknown> extends ConfigurableBuilder<C> {
  /** Builds the policy for one channel; the channel passes `options` (optional only for tests and builders that ignore them). */
  build(cc: BalancerClientConn, options?: BalancerBuildOptions): Balancer<C>;
}

/** A picker that always answers the same. */
export function constantPicker(result: PickResult): Picker {
  return { pick: () => result };
}
