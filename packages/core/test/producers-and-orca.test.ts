/**
 * The seams a load-aware policy is written on, exercised by a policy of the test's own
 * over real channels and servers: producers (streams on one subchannel's connection),
 * subchannel wrappers, the ORCA report parsed into a pick's PickDoneInfo, and the
 * out-of-band ORCA listener.
 */
import { afterEach, describe, expect, it } from "vitest";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ConnectivityState,
  GrpcError,
  Metadata,
  SubchannelWrapper,
  constantPicker,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  getOrBuildProducer,
  parseLoadBalancingConfig,
  registerBalancer,
  type Balancer,
  type BalancerClientConn,
  type Channel,
  type ClientConnection,
  type PickDoneInfo,
  type ProducerBuilder,
  type Server,
  type ServiceImpl,
  type Subchannel,
} from "../src/index.js";
import {
  OpenRcaService,
  OrcaLoadReportSchema,
  loadReportTrailer,
  parseLoadReport,
  registerOobLoadReportListener,
  type OrcaLoadReport,
  type OrcaLoadReportRequest,
} from "../src/orca.js";
import { FakeSubchannel } from "../src/testing/index.js";
import { EchoService } from "./gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "./support/echo-service.js";

/** What the probe policy of the running test does with its one subchannel. */
const probe: {
  wrap: boolean;
  healthCheck?: boolean;
  onSubchannel?: (sc: Subchannel) => void;
  done: PickDoneInfo[];
} = { wrap: false, done: [] };

class CountingWrapper extends SubchannelWrapper {
  connects = 0;
  override connect(): void {
    this.connects++;
    super.connect();
  }
}

/** One subchannel for the first endpoint; picks it while READY and keeps every onDone it hears. */
class ProbeBalancer implements Balancer {
  private sc: Subchannel | undefined;
  constructor(private readonly cc: BalancerClientConn) {}
  updateClientConnState({ resolverState }: { resolverState: { endpoints: readonly { addresses: readonly { addr: string }[] }[] } }): void {
    if (this.sc !== undefined) return;
    const made = this.cc.createSubchannel(resolverState.endpoints[0].addresses, { healthCheck: probe.healthCheck });
    const sc = probe.wrap ? new CountingWrapper(made) : made;
    this.sc = sc;
    sc.watch((state) => {
      if (state === ConnectivityState.READY) {
        this.cc.updateState({ state, picker: { pick: () => ({ type: "pick", subchannel: sc, onDone: (info) => probe.done.push(info) }) } });
      } else if (state !== ConnectivityState.SHUTDOWN) {
        this.cc.updateState({ state: ConnectivityState.CONNECTING, picker: constantPicker({ type: "queue" }) });
      }
    });
    probe.onSubchannel?.(sc);
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
registerBalancer({ name: "test_probe", build: (cc) => new ProbeBalancer(cc) });

const open: { servers: Server[]; channels: Channel[] } = { servers: [], channels: [] };
afterEach(() => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  probe.wrap = false;
  probe.healthCheck = undefined;
  probe.onSubchannel = undefined;
  probe.done = [];
});

const transport = createInMemoryTransport();
let nextName = 1;

/** A server with EchoService whose Echo sets the trailer `report` gives it (if any), and `orca` as OpenRcaService. */
async function start(opts: { trailer?: (message: string) => Uint8Array | undefined; orca?: ServiceImpl<typeof OpenRcaService> } = {}) {
  const server = createServer({ transport });
  const echo = echoImpl();
  server.addService(EchoService, {
    ...echo,
    async echo(req, ctx) {
      const bytes = opts.trailer?.(req.message);
      if (bytes !== undefined) ctx.responseTrailer.set(loadReportTrailer, bytes);
      if (req.failCode !== 0) throw new GrpcError(req.failCode as Code, req.failMessage);
      return { message: req.message, payload: req.payload };
    },
  });
  if (opts.orca !== undefined) server.addService(OpenRcaService, opts.orca);
  const { address } = await server.listen(`orca-${nextName++}`);
  const channel = createChannel(address, { transport, defaultServiceConfig: JSON.stringify({ loadBalancingConfig: [{ test_probe: {} }] }) });
  open.servers.push(server);
  open.channels.push(channel);
  return { server, channel, client: createClient(EchoService, channel) };
}

const report = (init: MessageInitShape<typeof OrcaLoadReportSchema>) => create(OrcaLoadReportSchema, init);

describe("PickDoneInfo.loadReport", () => {
  it("is the backend's endpoint-load-metrics-bin report, parsed, on OK and error ends", async () => {
    const sent = report({ rpsFractional: 120, applicationUtilization: 0.5, cpuUtilization: 0.75, namedMetrics: { queue: 3 }, requestCost: { db: 2.5 } });
    const { client } = await start({ trailer: () => toBinary(OrcaLoadReportSchema, sent) });
    await client.echo({ message: "a" });
    await expect(client.echo({ message: "b", failCode: Code.RESOURCE_EXHAUSTED, failMessage: "busy" })).rejects.toThrow("busy");
    expect(probe.done).toHaveLength(2);
    const [ok, failed] = probe.done;
    expect(ok.code).toBe(Code.OK);
    expect(ok.loadReport).toMatchObject({ rpsFractional: 120, applicationUtilization: 0.5, cpuUtilization: 0.75, namedMetrics: { queue: 3 }, requestCost: { db: 2.5 } });
    expect(failed.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(failed.loadReport?.rpsFractional).toBe(120);
  });

  it("is undefined when the backend sends no report, or bytes that are not one, and the call is unharmed", async () => {
    const { client } = await start({ trailer: (m) => (m === "garbage" ? Uint8Array.of(0xff, 0xff, 0xff) : undefined) });
    expect((await client.echo({ message: "none" })).message).toBe("none");
    expect((await client.echo({ message: "garbage" })).message).toBe("garbage");
    expect(probe.done.map((d) => d.loadReport)).toEqual([undefined, undefined]);
    expect(probe.done[1].trailers.get(loadReportTrailer)).toBeInstanceOf(Uint8Array);
  });

  it("parseLoadReport reads the first report of a trailer block", () => {
    const md = new Metadata();
    md.add(loadReportTrailer, toBinary(OrcaLoadReportSchema, report({ eps: 4 })));
    md.add(loadReportTrailer, toBinary(OrcaLoadReportSchema, report({ eps: 9 })));
    expect(parseLoadReport(md)?.eps).toBe(4);
    expect(parseLoadReport(new Metadata())).toBeUndefined();
  });
});

describe("subchannel wrappers", () => {
  it("a pick that returns a wrapper sends the call over the wrapped subchannel", async () => {
    probe.wrap = true;
    let wrapper: CountingWrapper | undefined;
    probe.onSubchannel = (sc) => (wrapper = sc as CountingWrapper);
    const { client } = await start();
    expect((await client.echo({ message: "through the wrapper" })).message).toBe("through the wrapper");
    expect(wrapper).toBeInstanceOf(CountingWrapper);
    expect(wrapper!.connects).toBe(1);
    expect(probe.done).toHaveLength(1);
  });
});

/** A producer that records the connections it hears and makes one call over each. */
function recordingProducer() {
  const log = { built: 0, closed: 0, connections: [] as (ClientConnection | undefined)[], echoed: [] as string[] };
  const builder: ProducerBuilder<typeof log> = {
    build(ctx) {
      log.built++;
      const stop = ctx.watchConnection((connection) => {
        log.connections.push(connection);
        if (connection !== undefined) {
          void createClient(EchoService, connection)
            .echo({ message: `producer on ${ctx.addresses[0].addr}` })
            .then(
              (r) => log.echoed.push(r.message),
              () => {},
            );
        }
      });
      return {
        producer: log,
        close: () => {
          log.closed++;
          stop();
        },
      };
    },
  };
  return { builder, log };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe("producers", () => {
  it("run on the subchannel's connection, shared per builder, closed with their last user", async () => {
    const { builder, log } = recordingProducer();
    const subchannels: Subchannel[] = [];
    probe.wrap = true;
    probe.onSubchannel = (sc) => subchannels.push(sc);
    const { client, server } = await start();
    await client.echo({ message: "warm" });
    const a = getOrBuildProducer(subchannels[0], builder);
    const b = getOrBuildProducer(subchannels[0], builder);
    expect(a.producer).toBe(b.producer);
    expect(log.built).toBe(1);
    await until(() => log.echoed.length === 1, "the producer's call");
    expect(log.echoed[0]).toMatch(/^producer on orca-/);
    // The producer's call went over the subchannel's connection, not through the picker.
    expect(probe.done).toHaveLength(1);
    a.release();
    a.release();
    expect(log.closed).toBe(0);
    b.release();
    expect(log.closed).toBe(1);
    // A producer hears a lost connection as undefined.
    const c = getOrBuildProducer(subchannels[0], builder);
    expect(log.built).toBe(2);
    server.forceShutdown();
    await until(() => log.connections.at(-1) === undefined, "the lost connection");
    c.release();
  });

  it("run on a health-checked subchannel's connection too", async () => {
    const { builder, log } = recordingProducer();
    const subchannels: Subchannel[] = [];
    probe.healthCheck = true;
    probe.wrap = true;
    probe.onSubchannel = (sc) => subchannels.push(sc);
    const { client } = await start();
    await client.echo({ message: "warm" });
    const handle = getOrBuildProducer(subchannels[0], builder);
    await until(() => log.echoed.length === 1, "the producer's call");
    handle.release();
    expect(log.closed).toBe(1);
  });

  it("close when their subchannel shuts down", async () => {
    const { builder, log } = recordingProducer();
    const subchannels: Subchannel[] = [];
    probe.onSubchannel = (sc) => subchannels.push(sc);
    const { client, channel } = await start();
    await client.echo({ message: "warm" });
    getOrBuildProducer(subchannels[0], builder);
    channel.close();
    await until(() => log.closed === 1, "the producer to close");
    expect(log.connections.at(-1)).toBeUndefined();
  });

  it("refuse a subchannel no channel made, saying which subchannels can run them", () => {
    const { builder } = recordingProducer();
    expect(() => getOrBuildProducer(new FakeSubchannel([{ addr: "10.0.0.1:1" }]), builder)).toThrow(
      /getOrBuildProducer needs a subchannel made by a channel's BalancerClientConn.createSubchannel/,
    );
  });
});

/** An OpenRcaService that sends `reports` one per requested interval and logs each request. */
function orcaService(reports: OrcaLoadReport[], log: { requests: OrcaLoadReportRequest[]; ended: number }): ServiceImpl<typeof OpenRcaService> {
  return {
    async *streamCoreMetrics(req, ctx) {
      log.requests.push(req);
      try {
        const ms = Number(req.reportInterval?.seconds ?? 0n) * 1000 + (req.reportInterval?.nanos ?? 0) / 1e6;
        for (const r of reports) {
          yield r;
          await new Promise((res) => {
            const t = setTimeout(res, ms);
            ctx.signal.addEventListener("abort", () => (clearTimeout(t), res(undefined)), { once: true });
          });
          if (ctx.signal.aborted) return;
        }
        await new Promise((res) => ctx.signal.addEventListener("abort", res, { once: true }));
      } finally {
        log.ended++;
      }
    },
  };
}

describe("registerOobLoadReportListener", () => {
  it("hears the backend's out-of-band reports over one stream at the shortest interval asked for", async () => {
    const log = { requests: [] as OrcaLoadReportRequest[], ended: 0 };
    const subchannels: Subchannel[] = [];
    probe.onSubchannel = (sc) => subchannels.push(sc);
    const { client } = await start({ orca: orcaService([report({ cpuUtilization: 0.1 }), report({ cpuUtilization: 0.2 }), report({ cpuUtilization: 0.3 })], log) });
    await client.echo({ message: "warm" });
    const slow: number[] = [];
    const fast: number[] = [];
    const stopSlow = registerOobLoadReportListener(subchannels[0], (r) => slow.push(r.cpuUtilization), { reportIntervalMs: 5000 });
    const stopFast = registerOobLoadReportListener(subchannels[0], (r) => fast.push(r.cpuUtilization), { reportIntervalMs: 20 });
    await until(() => fast.length === 3, "three reports");
    expect(fast).toEqual([0.1, 0.2, 0.3]);
    expect(slow).toEqual(expect.arrayContaining([0.2, 0.3]));
    // The second, shorter interval restarted the stream once; the last one asks for 20 ms.
    const last = log.requests.at(-1)!;
    expect(Number(last.reportInterval!.seconds)).toBe(0);
    expect(last.reportInterval!.nanos).toBe(20_000_000);
    const streams = log.requests.length;
    stopFast();
    // Back to the slow listener alone: one new stream at 5 s.
    await until(() => log.requests.length === streams + 1, "the stream at the slow interval");
    expect(Number(log.requests.at(-1)!.reportInterval!.seconds)).toBe(5);
    stopSlow();
    await until(() => log.ended === log.requests.length, "every stream to end");
  });

  it("does not ask again on a connection whose backend answers UNIMPLEMENTED", async () => {
    let asked = 0;
    const subchannels: Subchannel[] = [];
    probe.onSubchannel = (sc) => subchannels.push(sc);
    const { client } = await start({
      orca: {
        // eslint-disable-next-line require-yield
        async *streamCoreMetrics() {
          asked++;
          throw new GrpcError(Code.UNIMPLEMENTED, "no ORCA here");
        },
      },
    });
    await client.echo({ message: "warm" });
    const heard: number[] = [];
    const stop = registerOobLoadReportListener(subchannels[0], (r) => heard.push(r.eps), { reportIntervalMs: 10 });
    await until(() => asked === 1, "the one stream");
    await new Promise((r) => setTimeout(r, 200));
    expect(asked).toBe(1);
    expect(heard).toEqual([]);
    stop();
  });

  it("retries a stream that fails otherwise, with backoff", async () => {
    let asked = 0;
    const subchannels: Subchannel[] = [];
    probe.onSubchannel = (sc) => subchannels.push(sc);
    const { client } = await start({
      orca: {
        async *streamCoreMetrics() {
          asked++;
          if (asked === 1) throw new GrpcError(Code.INTERNAL, "hiccup");
          yield report({ eps: asked });
          await new Promise(() => {});
        },
      },
    });
    await client.echo({ message: "warm" });
    const heard: number[] = [];
    const stop = registerOobLoadReportListener(subchannels[0], (r) => heard.push(r.eps), { reportIntervalMs: 10 });
    await until(() => heard.length === 1, "a report after the retry");
    expect(asked).toBe(2);
    expect(heard).toEqual([2]);
    stop();
  });

  it("refuses a negative or non-finite interval", async () => {
    const subchannels: Subchannel[] = [];
    probe.onSubchannel = (sc) => subchannels.push(sc);
    const { client } = await start();
    await client.echo({ message: "warm" });
    expect(() => registerOobLoadReportListener(subchannels[0], () => {}, { reportIntervalMs: -1 })).toThrow(/reportIntervalMs must be a finite number/);
  });
});

describe("parseLoadBalancingConfig", () => {
  it("chooses the first registered policy of a child policy list, its config parsed", () => {
    expect(parseLoadBalancingConfig([{ not_registered: {} }, { pick_first: { shuffleAddressList: true } }])).toMatchObject({
      builder: { name: "pick_first" },
      config: { shuffleAddressList: true },
    });
  });

  it("says which policies were asked for and which are registered when none of them is", () => {
    expect(() => parseLoadBalancingConfig([{ round_robbin: {} }])).toThrow(
      /^childPolicy names no registered load-balancing policy \(asked for "round_robbin"; registered: pick_first/,
    );
    expect(() => parseLoadBalancingConfig([{ a: {}, b: {} }])).toThrow(/each entry of childPolicy names exactly one policy; got "a", "b"/);
  });
});
