/**
 * gRPC's standard metrics (gRFC A66) recorded through core's stats hook: one
 * StatsHandler serves channels and servers alike, telling them apart by `info.side`.
 */
import type { Attributes, MeterProvider } from "@opentelemetry/api";
import { codeName, type CallEndInfo, type CallStats, type CallStatsInfo, type Code, type StatsHandler } from "@grpckit/core";
import { clientInstruments, serverInstruments, type ClientInstruments, type ServerInstruments } from "./instruments.js";
import { PluginMetrics, type PluginMetricsOptions } from "./plugin-metrics.js";

export interface OpenTelemetryStatsOptions extends PluginMetricsOptions {
  /**
   * Where the instruments are created. Required: as gRFC A66 asks, the handler does not
   * fall back on the global MeterProvider.
   */
  readonly meterProvider: MeterProvider;
  /**
   * The `grpc.target` value recorded for a channel's target; return "other" to keep the
   * number of series down when channels are made for many addresses. Default: the target
   * as the channel was given it. Called once per distinct target.
   */
  readonly targetAttribute?: (target: string) => string;
  /**
   * Whether `grpc.method` names the method ("package.Service/Method") or records "other".
   * A server answers any path a peer sends, so a public server should record only the
   * methods it serves. Default: every method. Called once per distinct method and side.
   */
  readonly recordMethod?: (method: string, side: "client" | "server") => boolean;
}

/** The meter's name: the library the instruments describe. */
const meterName = "grpckit";

/** Distinct methods (or targets) whose attribute sets are kept; past this, sets are built per call. */
const maxCachedAttributeSets = 1024;

/** A method's attribute sets: without the status, and one per status code, made on first use. */
class MethodAttributes {
  private readonly byStatus: (Attributes | undefined)[] = [];

  constructor(readonly base: Attributes) {}

  withStatus(code: Code): Attributes {
    return (this.byStatus[code] ??= { ...this.base, "grpc.status": codeName(code) });
  }
}

/**
 * A stats handler recording gRFC A66's client and server metrics. Give the same handler
 * to channels (`statsHandlers` in ChannelOptions) and servers (in ServerOptions).
 *
 * Core reports stats per call, with a notice for each extra attempt of a retried or
 * hedged call: `grpc.client.attempt.started` counts every attempt, while the attempt
 * duration and size histograms get one record per call, for its last attempt.
 *
 * A channel's balancers record the metrics they registered in @grpckit/core (gRFC A79)
 * through the same handler: those on by default are exported, plus those named in
 * `enableMetrics`, less those in `disableMetrics`, each with `grpc.target`.
 *
 * @example
 * const meterProvider = new MeterProvider({ readers: [reader] });
 * const stats = openTelemetryStatsHandler({ meterProvider });
 * const channel = createChannel("dns:///api.internal:443", { statsHandlers: [stats] });
 * const server = createServer({ statsHandlers: [stats] });
 */
export function openTelemetryStatsHandler(options: OpenTelemetryStatsOptions): StatsHandler {
  const meter = options.meterProvider.getMeter(meterName);
  const client = clientInstruments(meter);
  const server = serverInstruments(meter);
  const recordMethod = options.recordMethod;
  const targetAttribute = options.targetAttribute;
  const clientAttributes = new Map<string, Map<string, MethodAttributes>>();
  const serverAttributes = new Map<string, MethodAttributes>();
  const pluginMetrics = new PluginMetrics(meter, options);

  const methodName = (path: string, side: "client" | "server"): string => {
    const name = path.startsWith("/") ? path.slice(1) : path;
    return recordMethod === undefined || recordMethod(name, side) ? name : "other";
  };

  const clientAttributesOf = (target: string, path: string): MethodAttributes => {
    let byMethod = clientAttributes.get(target);
    if (byMethod === undefined) {
      byMethod = new Map();
      if (clientAttributes.size < maxCachedAttributeSets) clientAttributes.set(target, byMethod);
    }
    let attrs = byMethod.get(path);
    if (attrs === undefined) {
      const targetValue = targetAttribute === undefined ? target : targetAttribute(target);
      attrs = new MethodAttributes({ "grpc.method": methodName(path, "client"), "grpc.target": targetValue });
      if (byMethod.size < maxCachedAttributeSets) byMethod.set(path, attrs);
    }
    return attrs;
  };

  const serverAttributesOf = (path: string): MethodAttributes => {
    let attrs = serverAttributes.get(path);
    if (attrs === undefined) {
      attrs = new MethodAttributes({ "grpc.method": methodName(path, "server") });
      if (serverAttributes.size < maxCachedAttributeSets) serverAttributes.set(path, attrs);
    }
    return attrs;
  };

  return {
    callStarted(info: CallStatsInfo): CallStats {
      if (info.side === "client") return new ClientCallRecorder(client, clientAttributesOf(info.target ?? "", info.method));
      return new ServerCallRecorder(server, serverAttributesOf(info.method));
    },
    metricsRecorder(target: string) {
      return pluginMetrics.recorderFor(targetAttribute === undefined ? target : targetAttribute(target));
    },
  };
}

/** One client call's measurements: the call as a whole and its latest attempt. */
class ClientCallRecorder implements CallStats {
  private readonly start = performance.now();
  private attemptStart: number;
  private sent = 0;
  private received = 0;

  constructor(
    private readonly instruments: ClientInstruments,
    private readonly attributes: MethodAttributes,
  ) {
    this.attemptStart = this.start;
    instruments.attemptStarted.add(1, attributes.base);
  }

  messageSent(bytes: number): void {
    this.sent += bytes;
  }

  messageReceived(bytes: number): void {
    this.received += bytes;
  }

  attemptStarted(): void {
    this.attemptStart = performance.now();
    this.sent = 0;
    this.received = 0;
    this.instruments.attemptStarted.add(1, this.attributes.base);
  }

  callEnded(info: CallEndInfo): void {
    const now = performance.now();
    const attrs = this.attributes.withStatus(info.code);
    const i = this.instruments;
    i.attemptDuration.record((now - this.attemptStart) / 1000, attrs);
    i.attemptSentSize.record(this.sent, attrs);
    i.attemptRcvdSize.record(this.received, attrs);
    i.callDuration.record((now - this.start) / 1000, attrs);
  }
}

/** One server call's measurements. */
class ServerCallRecorder implements CallStats {
  private readonly start = performance.now();
  private sent = 0;
  private received = 0;

  constructor(
    private readonly instruments: ServerInstruments,
    private readonly attributes: MethodAttributes,
  ) {
    instruments.callStarted.add(1, attributes.base);
  }

  messageSent(bytes: number): void {
    this.sent += bytes;
  }

  messageReceived(bytes: number): void {
    this.received += bytes;
  }

  callEnded(info: CallEndInfo): void {
    const attrs = this.attributes.withStatus(info.code);
    const i = this.instruments;
    i.callDuration.record((performance.now() - this.start) / 1000, attrs);
    i.callSentSize.record(this.sent, attrs);
    i.callRcvdSize.record(this.received, attrs);
  }
}
