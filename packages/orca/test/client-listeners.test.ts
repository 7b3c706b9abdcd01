/**
 * grpckit on both ends over real loopback HTTP/2 (transport-h2): a server reporting
 * through @grpckit/orca, and a client policy of the test's own reading the reports
 * through the listeners this package re-exports from core — the per-call report as its
 * picks' PickDoneInfo.loadReport, the out-of-band one through
 * registerOobLoadReportListener on its subchannel.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ConnectivityState,
  constantPicker,
  createChannel,
  createClient,
  createServer,
  registerBalancer,
  type Balancer,
  type BalancerClientConn,
  type Channel,
  type PickDoneInfo,
  type ResolverState,
  type Server,
  type Subchannel,
} from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import {
  addOrcaService,
  callMetricsInterceptor,
  callMetricsRecorder,
  parseLoadReport,
  registerOobLoadReportListener,
  ServerMetricsRecorder,
  type ServerMetricsProvider,
} from "../src/index.js";

/** What the listening policy of the running test heard. */
const heard: { subchannel: Subchannel | undefined; done: PickDoneInfo[] } = { subchannel: undefined, done: [] };

/** One subchannel to the first endpoint, picked while READY; every pick's onDone is kept. */
class ListeningBalancer implements Balancer {
  private sc: Subchannel | undefined;
  constructor(private readonly cc: BalancerClientConn) {}
  updateClientConnState({ resolverState }: { resolverState: ResolverState }): void {
    if (this.sc !== undefined) return;
    const sc = this.cc.createSubchannel(resolverState.endpoints[0].addresses);
    this.sc = sc;
    heard.subchannel = sc;
    sc.watch((state) => {
      if (state === ConnectivityState.READY) {
        this.cc.updateState({ state, picker: { pick: () => ({ type: "pick", subchannel: sc, onDone: (info) => heard.done.push(info) }) } });
      } else if (state !== ConnectivityState.SHUTDOWN) {
        this.cc.updateState({ state: ConnectivityState.CONNECTING, picker: constantPicker({ type: "queue" }) });
      }
    });
    sc.connect();
  }
  resolverError(): void {}
  exitIdle(): void {
    this.sc?.connect();
  }
  close(): void {
    this.sc?.shutdown();
  }
}
registerBalancer({ name: "orca_test_listening", build: (cc) => new ListeningBalancer(cc) });

const transport = h2Transport();
const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };
afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  heard.subchannel = undefined;
  heard.done = [];
});

async function start(server: Server) {
  server.addService(EchoService, {
    echo(req, ctx) {
      const recorder = callMetricsRecorder(ctx);
      recorder?.setQps(50);
      recorder?.setApplicationUtilization(0.5);
      recorder?.setRequestCost("bytes", req.message.length);
      return { message: req.message };
    },
  });
  const bound = await server.listen("127.0.0.1:0");
  const channel = createChannel(`ipv4:127.0.0.1:${bound.port}`, {
    transport,
    defaultServiceConfig: JSON.stringify({ loadBalancingConfig: [{ orca_test_listening: {} }] }),
  });
  open.servers.push(server);
  open.channels.push(channel);
  return createClient(EchoService, channel);
}

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe("the client's listeners against @grpckit/orca servers", () => {
  it("a pick's PickDoneInfo.loadReport is what the handler recorded, the same as parseLoadReport of the trailers", async () => {
    const client = await start(createServer({ transport, interceptors: [callMetricsInterceptor()] }));
    await client.echo({ message: "hello" });
    expect(heard.done).toHaveLength(1);
    const [info] = heard.done;
    expect(info.loadReport).toMatchObject({ rpsFractional: 50, applicationUtilization: 0.5, requestCost: { bytes: 5 } });
    expect(parseLoadReport(info.trailers)).toEqual(info.loadReport);
  });

  it("registerOobLoadReportListener hears the server's reports as they change, and its stop ends the stream", async () => {
    const recorder = new ServerMetricsRecorder();
    recorder.setCpuUtilization(0.1);
    let made = 0;
    const counted: ServerMetricsProvider = {
      serverMetrics() {
        made++;
        return recorder.serverMetrics();
      },
    };
    const server = createServer({ transport });
    addOrcaService(server, { serverMetrics: counted, minReportingIntervalMs: 50 });
    const client = await start(server);
    await client.echo({ message: "warm" });
    const cpu: number[] = [];
    const stop = registerOobLoadReportListener(heard.subchannel!, (report) => cpu.push(report.cpuUtilization), { reportIntervalMs: 50 });
    await until(() => cpu.length >= 2, "two reports");
    recorder.setCpuUtilization(0.9);
    await until(() => cpu.at(-1) === 0.9, "the changed figure");
    expect(cpu[0]).toBe(0.1);
    stop();
    // With the listener gone the stream is cancelled: a graceful shutdown, which waits
    // for every running call, finishes, and nothing more is heard.
    await server.shutdown();
    const heardBefore = cpu.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(cpu.length).toBe(heardBefore);
    console.log(`out-of-band reports: the server made ${made}, the grpckit client heard ${cpu.length}`);
  });
});
