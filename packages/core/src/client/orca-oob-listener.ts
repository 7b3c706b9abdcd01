/**
 * The client side of ORCA's out-of-band reports (gRFC A51): one
 * xds.service.orca.v3.OpenRcaService/StreamCoreMetrics stream per connected
 * subchannel, shared by every listener of that subchannel, asking for the shortest
 * interval any of them wants. It is a producer, so it runs on the subchannel's own
 * connection whatever policy wraps the subchannel.
 */
import { create } from "@bufbuild/protobuf";
import type { Subchannel } from "../balancer/balancer.js";
import { OpenRcaService, OrcaLoadReportRequestSchema } from "../gen/xds/service/orca/v3/orca_pb.js";
import type { OrcaLoadReport } from "../gen/xds/data/orca/v3/orca_load_report_pb.js";
import { Backoff } from "../timers/backoff.js";
import { Code } from "../status/code.js";
import { GrpcError } from "../status/grpc-error.js";
import { trace } from "../observability/logging.js";
import type { ClientConnection } from "./client-call.js";
import { createClient } from "./client.js";
import { getOrBuildProducer, type ProducerBuilder, type ProducerContext } from "./producer.js";

/** How often a listener wants reports. */
export interface OobLoadReportOptions {
  /** The interval to ask the backend for, in milliseconds (the backend may send less often: its own minimum wins). */
  readonly reportIntervalMs: number;
}

interface Registration {
  readonly listener: (report: OrcaLoadReport) => void;
  readonly intervalMs: number;
}

/** The stream of one subchannel, restarted when its connection or the shortest interval changes. */
class OobLoadReportStream {
  private readonly registrations = new Set<Registration>();
  private connection: ClientConnection | undefined;
  private controller: AbortController | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private streamIntervalMs: number | undefined;
  private readonly backoff = new Backoff();
  /** Set when the backend answered UNIMPLEMENTED: it is not asked again on this connection. */
  private unsupported = false;
  readonly stopWatching: () => void;

  constructor(private readonly context: ProducerContext) {
    this.stopWatching = context.watchConnection((connection) => {
      this.connection = connection;
      this.unsupported = false;
      this.backoff.reset();
      this.restart();
    });
  }

  add(registration: Registration): () => void {
    this.registrations.add(registration);
    if (this.shortestIntervalMs() !== this.streamIntervalMs) this.restart();
    return () => {
      if (!this.registrations.delete(registration)) return;
      if (this.registrations.size === 0 || this.shortestIntervalMs() !== this.streamIntervalMs) this.restart();
    };
  }

  private shortestIntervalMs(): number | undefined {
    let shortest: number | undefined;
    for (const r of this.registrations) if (shortest === undefined || r.intervalMs < shortest) shortest = r.intervalMs;
    return shortest;
  }

  private restart(): void {
    this.stopStream();
    const intervalMs = this.shortestIntervalMs();
    const connection = this.connection;
    if (intervalMs === undefined || connection === undefined || this.unsupported) return;
    this.streamIntervalMs = intervalMs;
    void this.run(connection, intervalMs);
  }

  private stopStream(): void {
    this.streamIntervalMs = undefined;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.controller?.abort(new GrpcError(Code.CANCELLED, "ORCA out-of-band listener stopped"));
    this.controller = undefined;
  }

  private async run(connection: ClientConnection, intervalMs: number): Promise<void> {
    const controller = (this.controller = new AbortController());
    const client = createClient(OpenRcaService, connection);
    const seconds = Math.floor(intervalMs / 1000);
    const request = create(OrcaLoadReportRequestSchema, {
      reportInterval: { seconds: BigInt(seconds), nanos: Math.round((intervalMs - seconds * 1000) * 1e6) },
    });
    let received = false;
    let failure: GrpcError | undefined;
    try {
      for await (const report of client.streamCoreMetrics(request, { signal: controller.signal, waitForReady: false })) {
        if (controller.signal.aborted) return;
        received = true;
        for (const r of [...this.registrations]) r.listener(report);
      }
    } catch (e) {
      failure = GrpcError.from(e);
    }
    if (controller !== this.controller || controller.signal.aborted) return;
    this.controller = undefined;
    const where = this.context.addresses.map((a) => a.addr).join(",");
    if (failure?.code === Code.UNIMPLEMENTED) {
      // The backend has no OpenRcaService: asking again on this connection would fail the same way.
      this.unsupported = true;
      trace("orca", `${where}: the backend does not serve ORCA out-of-band reports (${failure.rawMessage}); not asking again on this connection`);
      return;
    }
    if (received) this.backoff.reset();
    const delay = this.backoff.next();
    trace("orca", `${where}: the ORCA stream ended (${failure?.rawMessage ?? "the backend closed it"}); again in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.connection === connection && this.streamIntervalMs === intervalMs) void this.run(connection, intervalMs);
    }, delay);
    this.retryTimer.unref?.();
  }

  close(): void {
    this.stopWatching();
    this.registrations.clear();
    this.stopStream();
  }
}

const oobLoadReportStream: ProducerBuilder<OobLoadReportStream> = {
  build(context) {
    const producer = new OobLoadReportStream(context);
    return { producer, close: () => producer.close() };
  },
};

/**
 * Listens for the ORCA load reports `subchannel`'s backend sends out of band (gRFC
 * A51): while the subchannel is connected, one OpenRcaService stream asks for a report
 * every `reportIntervalMs` (the shortest interval of all listeners of the subchannel),
 * and `listener` hears each report. The stream is retried with backoff when it fails,
 * and not asked for again on a connection whose backend answered UNIMPLEMENTED.
 * Returns a function that stops this listener.
 *
 * @example
 * const stop = registerOobLoadReportListener(subchannel, (report) => weights.update(subchannel, report), { reportIntervalMs: 10_000 });
 */
export function registerOobLoadReportListener(
  subchannel: Subchannel,
  listener: (report: OrcaLoadReport) => void,
  options: OobLoadReportOptions,
): () => void {
  const intervalMs = options.reportIntervalMs;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new RangeError(`reportIntervalMs must be a finite number of milliseconds, 0 or more; got ${intervalMs}`);
  }
  const handle = getOrBuildProducer(subchannel, oobLoadReportStream);
  const remove = handle.producer.add({ listener, intervalMs });
  return () => {
    remove();
    handle.release();
  };
}
