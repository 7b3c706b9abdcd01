/**
 * Plug-in metrics (gRFC A79) end to end: a balancer registered through core's public API
 * registers instruments and records on each pick through its build options'
 * metricsRecorder; calls go over HTTP/2 on loopback; the OpenTelemetry reader sees what
 * the user's options export, with `grpc.target` added by the recorder.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createChannel,
  createClient,
  createServer,
  pickFirstBalancer,
  registerBalancer,
  registerInt64Count,
  registerInt64Histogram,
  type BalancerBuilder,
  type Channel,
  type Server,
} from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoService, echoImpl } from "../../core/test/support/echo-service.js";
import { openTelemetryStatsHandler, type OpenTelemetryStatsOptions } from "../src/index.js";
import { counterValue, metricsKit, type MetricsKit } from "./metrics-test-kit.js";

/** On by default: one count per pick, labelled with the pick's result and, optionally, a locality. */
const picks = registerInt64Count({
  name: "test.lb.picks",
  description: "Picks made by the test balancer.",
  unit: "{pick}",
  labels: ["test.pick_result"],
  optionalLabels: ["grpc.lb.locality"],
  default: true,
});

/** Off by default: exported only when the user enables it by name. */
const pickSpread = registerInt64Histogram({
  name: "test.lb.pick_spread",
  description: "A histogram the test balancer records on each pick, off by default.",
  unit: "{pick}",
  labels: [],
  optionalLabels: [],
  default: false,
});

/** pick_first, with each pick recorded through the channel's metrics recorder. */
const countingPicks: BalancerBuilder = {
  name: "test_counting_picks",
  build(cc, options) {
    if (options === undefined) throw new Error("test_counting_picks needs the channel's build options");
    const recorder = options.metricsRecorder;
    return pickFirstBalancer.build(
      {
        createSubchannel: (addresses, o) => cc.createSubchannel(addresses, o),
        requestReresolution: () => cc.requestReresolution(),
        updateState: ({ state, picker }) =>
          cc.updateState({
            state,
            picker: {
              pick(info) {
                const result = picker.pick(info);
                recorder.recordInt64Count(picks, 1, [result.type], ["zone-a"]);
                recorder.recordInt64Histogram(pickSpread, 1, [], []);
                return result;
              },
            },
          }),
      },
      options,
    );
  },
};
registerBalancer(countingPicks);

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[]; kits: MetricsKit[] } = { servers: [], channels: [], kits: [] };

afterEach(async () => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  for (const k of open.kits.splice(0)) await k.shutdown();
});

/** A loopback server, a channel using the counting balancer and the OpenTelemetry plug-in, and `calls` unary calls. */
async function callThrough(options: Partial<OpenTelemetryStatsOptions>, calls: number) {
  const kit = metricsKit();
  open.kits.push(kit);
  const stats = openTelemetryStatsHandler({ meterProvider: kit.meterProvider, ...options });
  const server = createServer({ transport }).addService(EchoService, echoImpl());
  const { address } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  const channel = createChannel(address, {
    transport,
    statsHandlers: [stats],
    defaultServiceConfig: JSON.stringify({ loadBalancingConfig: [{ test_counting_picks: {} }] }),
  });
  open.channels.push(channel);
  const client = createClient(EchoService, channel);
  for (let i = 0; i < calls; i++) await client.echo({ message: `call ${i}` });
  return { metrics: await kit.read(), target: `passthrough:///${address}` };
}

describe("plug-in metrics through openTelemetryStatsHandler", () => {
  it("exports a default-on counter a balancer records on each pick, with grpc.target and its required labels", async () => {
    const { metrics, target } = await callThrough({}, 5);
    const m = metrics.get("test.lb.picks");
    expect(m?.descriptor.description).toBe("Picks made by the test balancer.");
    expect(m?.descriptor.unit).toBe("{pick}");
    // Every call picked a ready subchannel once; picks that queued before it was ready count apart.
    expect(counterValue(metrics, "test.lb.picks", { "grpc.target": target, "test.pick_result": "pick" })).toBe(5);
    // The optional label is left off unless asked for.
    const keys = (m?.dataPoints ?? []).map((p) => Object.keys(p.attributes).sort());
    expect(keys).toContainEqual(["grpc.target", "test.pick_result"]);
    expect(keys.flat()).not.toContain("grpc.lb.locality");
    // Off by default, and not enabled.
    expect(metrics.has("test.lb.pick_spread")).toBe(false);
  });

  it("exports a default-off metric once enabled by name, and the optional labels the user names", async () => {
    const { metrics, target } = await callThrough({ enableMetrics: ["test.lb.pick_spread"], optionalLabels: ["grpc.lb.locality"] }, 3);
    const spread = metrics.get("test.lb.pick_spread");
    const points = (spread?.dataPoints ?? []) as { attributes: Record<string, unknown>; value: { count: number } }[];
    expect(points.map((p) => p.attributes)).toEqual([{ "grpc.target": target }]);
    expect(points[0].value.count).toBeGreaterThanOrEqual(3);
    expect(counterValue(metrics, "test.lb.picks", { "grpc.target": target, "test.pick_result": "pick", "grpc.lb.locality": "zone-a" })).toBe(3);
  });

  it("leaves out a default-on metric the user disables", async () => {
    const { metrics } = await callThrough({ disableMetrics: ["test.lb.picks"] }, 2);
    expect(metrics.has("test.lb.picks")).toBe(false);
  });

  it("records grpc.target as targetAttribute maps it", async () => {
    const { metrics } = await callThrough({ targetAttribute: () => "other" }, 2);
    expect(counterValue(metrics, "test.lb.picks", { "grpc.target": "other", "test.pick_result": "pick" })).toBe(2);
  });
});
