/**
 * gRPC's standard metrics (gRFC A66) recorded through core's stats hook: one
 * StatsHandler serves channels and servers alike, telling them apart by `info.side`.
 */
import type { Attributes, MeterProvider } from "@opentelemetry/api";
import { codeName, type CallStatsEvent, type CallTagInfo, type Code, type StatsHandler } from "@grpckit/core";
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
 * Every attempt of a retried or hedged call is measured on its own, as gRFC A66 asks:
 * `grpc.client.attempt.started`, the attempt duration and the attempt size histograms
 * count each attempt (with that attempt's status), `grpc.client.call.duration` the call
 * once (with the status its caller sees).
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
    tagCall(info: CallTagInfo): CallRecorder {
      if (info.side === "client") return new ClientCallRecorder(client, clientAttributesOf(info.target ?? "", info.method));
      return new ServerCallRecorder(server, serverAttributesOf(info.method));
    },
    handleCall(recorder: CallRecorder, event: CallStatsEvent): void {
      recorder.handle(event);
    },
    metricsRecorder(target: string) {
      return pluginMetrics.recorderFor(targetAttribute === undefined ? target : targetAttribute(target));
    },
  };
}

/** What the handler tags a call with: the recorder of its measurements. */
interface CallRecorder {
  handle(event: CallStatsEvent): void;
}

/** One attempt's measurements. */
interface AttemptMeasures {
  readonly start: number;
  sent: number;
  received: number;
}

/** One client call's measurements: the call as a whole and each of its attempts (hedges run side by side). */
class ClientCallRecorder implements CallRecorder {
  private readonly start = performance.now();
  /** Attempts begun and not yet ended, by number. */
  private readonly attempts = new Map<number, AttemptMeasures>();

  constructor(
    private readonly instruments: ClientInstruments,
    private readonly attributes: MethodAttributes,
  ) {}

  handle(event: CallStatsEvent): void {
    switch (event.type) {
      case "begin":
        this.attempts.set(event.attempt, { start: performance.now(), sent: 0, received: 0 });
        this.instruments.attemptStarted.add(1, this.attributes.base);
        return;
      case "outPayload": {
        const a = this.attempts.get(event.attempt);
        if (a !== undefined) a.sent += event.compressedLength;
        return;
      }
      case "inPayload": {
        const a = this.attempts.get(event.attempt);
        if (a !== undefined) a.received += event.compressedLength;
        return;
      }
      case "end": {
        const a = this.attempts.get(event.attempt);
        if (a === undefined) return;
        this.attempts.delete(event.attempt);
        const attrs = this.attributes.withStatus(event.code);
        const i = this.instruments;
        i.attemptDuration.record((performance.now() - a.start) / 1000, attrs);
        i.attemptSentSize.record(a.sent, attrs);
        i.attemptRcvdSize.record(a.received, attrs);
        return;
      }
      case "callEnd":
        this.instruments.callDuration.record((performance.now() - this.start) / 1000, this.attributes.withStatus(event.code));
        return;
    }
  }
}

/** One server call's measurements. */
class ServerCallRecorder implements CallRecorder {
  private readonly start = performance.now();
  private sent = 0;
  private received = 0;

  constructor(
    private readonly instruments: ServerInstruments,
    private readonly attributes: MethodAttributes,
  ) {
    instruments.callStarted.add(1, attributes.base);
  }

  handle(event: CallStatsEvent): void {
    switch (event.type) {
      case "outPayload":
        this.sent += event.compressedLength;
        return;
      case "inPayload":
        this.received += event.compressedLength;
        return;
      case "end": {
        const attrs = this.attributes.withStatus(event.code);
        const i = this.instruments;
        i.callDuration.record((performance.now() - this.start) / 1000, attrs);
        i.callSentSize.record(this.sent, attrs);
        i.callRcvdSize.record(this.received, attrs);
        return;
      }
    }
  }
}
