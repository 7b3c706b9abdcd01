/**
 * gRFC A66's metrics, recorded by openTelemetryStatsHandler on a channel and a server
 * talking real HTTP/2 over 127.0.0.1, read back from an in-memory MeterProvider.
 */
import { afterEach, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, createChannel, createClient, createServer, GrpcError, type Channel, type ChannelOptions, type Server } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { EchoRequestSchema, EchoResponseSchema } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { EchoService, echoImpl } from "../../core/test/support/echo-service.js";
import { latencyBuckets, openTelemetryStatsHandler, sizeBuckets, type OpenTelemetryStatsOptions } from "../src/index.js";
import { counterValue, histogramPoint, metricsKit, type MetricsKit } from "./metrics-test-kit.js";

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[]; kits: MetricsKit[] } = { servers: [], channels: [], kits: [] };

afterEach(async () => {
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
  for (const k of open.kits.splice(0)) await k.shutdown();
});

const echoMethod = "grpckit.test.v1.EchoService/Echo";

async function start(opts: Partial<OpenTelemetryStatsOptions> = {}, channelOpts: ChannelOptions = {}) {
  const kit = metricsKit();
  open.kits.push(kit);
  const stats = openTelemetryStatsHandler({ meterProvider: kit.meterProvider, ...opts });
  const server = createServer({ transport, statsHandlers: [stats] }).addService(EchoService, echoImpl());
  const { address } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  const channel = createChannel(address, { transport, statsHandlers: [stats], ...channelOpts });
  open.channels.push(channel);
  return { kit, address, client: createClient(EchoService, channel) };
}

async function failure(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (e) {
    return e as GrpcError;
  }
  throw new Error("expected the call to fail");
}

/** Reads the metrics until `ready` holds for them, for up to about a second. */
async function readWhen(kit: MetricsKit, ready: (m: Awaited<ReturnType<MetricsKit["read"]>>) => boolean) {
  let m = await kit.read();
  for (let i = 0; i < 100 && !ready(m); i++) {
    await new Promise((r) => setTimeout(r, 10));
    m = await kit.read();
  }
  return m;
}

const requestBytes = (message: string, failCode = 0, failMessage = "") =>
  toBinary(EchoRequestSchema, create(EchoRequestSchema, { message, failCode, failMessage })).byteLength;
const responseBytes = (message: string) => toBinary(EchoResponseSchema, create(EchoResponseSchema, { message })).byteLength;

describe("openTelemetryStatsHandler", () => {
  it("records 3 OK and 2 NOT_FOUND calls on both sides, counted per grpc.status, sizes summing to the bytes sent", async () => {
    const { kit, address, client } = await start();
    const okMessages = ["hello", "a", "a longer message"];
    for (const message of okMessages) await client.echo({ message });
    for (let i = 0; i < 2; i++) {
      expect((await failure(client.echo({ message: "x", failCode: Code.NOT_FOUND, failMessage: "gone" }))).code).toBe(Code.NOT_FOUND);
    }
    const m = await readWhen(kit, (m) => (histogramPoint(m, "grpc.server.call.duration", { "grpc.method": echoMethod, "grpc.status": "NOT_FOUND" })?.count ?? 0) === 2);

    const base = { "grpc.method": echoMethod, "grpc.target": `passthrough:///${address}` };
    const ok = { ...base, "grpc.status": "OK" };
    const notFound = { ...base, "grpc.status": "NOT_FOUND" };
    expect(counterValue(m, "grpc.client.attempt.started", base)).toBe(5);
    for (const name of ["grpc.client.attempt.duration", "grpc.client.call.duration"]) {
      expect(histogramPoint(m, name, ok)?.count).toBe(3);
      expect(histogramPoint(m, name, notFound)?.count).toBe(2);
      expect(histogramPoint(m, name, ok)?.min).toBeGreaterThan(0);
      expect(histogramPoint(m, name, ok)?.buckets.boundaries).toEqual(latencyBuckets);
    }
    const okSent = okMessages.reduce((s, msg) => s + requestBytes(msg), 0);
    const okReceived = okMessages.reduce((s, msg) => s + responseBytes(msg), 0);
    const sent = histogramPoint(m, "grpc.client.attempt.sent_total_compressed_message_size", ok);
    expect(sent).toMatchObject({ count: 3, sum: okSent });
    expect(sent?.buckets.boundaries).toEqual(sizeBuckets);
    expect(histogramPoint(m, "grpc.client.attempt.rcvd_total_compressed_message_size", ok)).toMatchObject({ count: 3, sum: okReceived });
    expect(histogramPoint(m, "grpc.client.attempt.sent_total_compressed_message_size", notFound)).toMatchObject({
      count: 2,
      sum: 2 * requestBytes("x", Code.NOT_FOUND, "gone"),
    });
    expect(histogramPoint(m, "grpc.client.attempt.rcvd_total_compressed_message_size", notFound)).toMatchObject({ count: 2, sum: 0 });

    const server = { "grpc.method": echoMethod };
    const serverOk = { ...server, "grpc.status": "OK" };
    expect(counterValue(m, "grpc.server.call.started", server)).toBe(5);
    expect(histogramPoint(m, "grpc.server.call.duration", serverOk)?.count).toBe(3);
    expect(histogramPoint(m, "grpc.server.call.duration", serverOk)?.min).toBeGreaterThan(0);
    expect(histogramPoint(m, "grpc.server.call.rcvd_total_compressed_message_size", serverOk)).toMatchObject({ count: 3, sum: okSent });
    expect(histogramPoint(m, "grpc.server.call.sent_total_compressed_message_size", serverOk)).toMatchObject({ count: 3, sum: okReceived });
    expect(histogramPoint(m, "grpc.server.call.sent_total_compressed_message_size", { ...server, "grpc.status": "NOT_FOUND" })).toMatchObject({
      count: 2,
      sum: 0,
    });
  });

  it("records a server-streaming call's response bytes as the sum of its messages", async () => {
    const { kit, address, client } = await start();
    const got: string[] = [];
    for await (const r of client.expand({ message: "abc", repeat: 4 })) got.push(r.message);
    expect(got).toHaveLength(4);
    const method = "grpckit.test.v1.EchoService/Expand";
    const m = await readWhen(kit, (m) => histogramPoint(m, "grpc.server.call.duration", { "grpc.method": method, "grpc.status": "OK" }) !== undefined);
    const perMessage = (i: number) => {
      // Expand answers { message, index }; index 0 is not on the wire.
      return i === 0 ? responseBytes("abc") : responseBytes("abc") + 2;
    };
    const total = [0, 1, 2, 3].reduce((s, i) => s + perMessage(i), 0);
    const attrs = { "grpc.method": method, "grpc.target": `passthrough:///${address}`, "grpc.status": "OK" };
    expect(histogramPoint(m, "grpc.client.attempt.rcvd_total_compressed_message_size", attrs)).toMatchObject({ count: 1, sum: total });
    expect(histogramPoint(m, "grpc.server.call.sent_total_compressed_message_size", { "grpc.method": method, "grpc.status": "OK" })).toMatchObject({
      count: 1,
      sum: total,
    });
  });

  it("counts each of 3 attempts of a call retried twice in every attempt metric, and the call once", async () => {
    const kit = metricsKit();
    open.kits.push(kit);
    const stats = openTelemetryStatsHandler({ meterProvider: kit.meterProvider });
    // The first two attempts fail with a retryable code; the third answers.
    let served = 0;
    const server = createServer({ transport, statsHandlers: [stats] }).addService(EchoService, {
      ...echoImpl(),
      echo(req) {
        if (++served <= 2) throw new GrpcError(Code.UNAVAILABLE, `attempt ${served} refused`);
        return { message: req.message };
      },
    });
    const { address } = await server.listen("127.0.0.1:0");
    open.servers.push(server);
    const channel = createChannel(address, {
      transport,
      statsHandlers: [stats],
      defaultServiceConfig: {
        methodConfig: [
          {
            name: [{ service: "grpckit.test.v1.EchoService" }],
            retryPolicy: { maxAttempts: 3, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] },
          },
        ],
      },
    });
    open.channels.push(channel);
    const client = createClient(EchoService, channel);
    expect((await client.echo({ message: "third time" })).message).toBe("third time");
    expect(served).toBe(3);
    const m = await readWhen(kit, (m) => counterValue(m, "grpc.server.call.started", { "grpc.method": echoMethod }) === 3);
    const base = { "grpc.method": echoMethod, "grpc.target": `passthrough:///${address}` };
    const failed = { ...base, "grpc.status": "UNAVAILABLE" };
    const ok = { ...base, "grpc.status": "OK" };
    expect(counterValue(m, "grpc.client.attempt.started", base)).toBe(3);
    expect(histogramPoint(m, "grpc.client.attempt.duration", failed)?.count).toBe(2);
    expect(histogramPoint(m, "grpc.client.attempt.duration", ok)?.count).toBe(1);
    // Every attempt sent the request; only the last got a response.
    const sent = requestBytes("third time");
    expect(histogramPoint(m, "grpc.client.attempt.sent_total_compressed_message_size", failed)).toMatchObject({ count: 2, sum: 2 * sent });
    expect(histogramPoint(m, "grpc.client.attempt.sent_total_compressed_message_size", ok)).toMatchObject({ count: 1, sum: sent });
    expect(histogramPoint(m, "grpc.client.attempt.rcvd_total_compressed_message_size", failed)).toMatchObject({ count: 2, sum: 0 });
    expect(histogramPoint(m, "grpc.client.attempt.rcvd_total_compressed_message_size", ok)).toMatchObject({ count: 1, sum: responseBytes("third time") });
    // The call is recorded once, with the status its caller saw.
    expect(histogramPoint(m, "grpc.client.call.duration", ok)?.count).toBe(1);
    expect(histogramPoint(m, "grpc.client.call.duration", failed)).toBeUndefined();
    console.log(`retried call: ${served} server calls, ${counterValue(m, "grpc.client.attempt.started", base)} attempts recorded`);
  });

  it("counts every attempt of a hedged call, each with its own status", async () => {
    const { kit, address, client } = await start(
      {},
      {
        defaultServiceConfig: {
          methodConfig: [
            {
              name: [{ service: "grpckit.test.v1.EchoService" }],
              hedgingPolicy: { maxAttempts: 3, hedgingDelay: "0s", nonFatalStatusCodes: ["UNAVAILABLE"] },
            },
          ],
        },
      },
    );
    expect((await failure(client.echo({ message: "x", failCode: Code.UNAVAILABLE, failMessage: "down" }))).code).toBe(Code.UNAVAILABLE);
    const m = await readWhen(kit, (m) => counterValue(m, "grpc.server.call.started", { "grpc.method": echoMethod }) === 3);
    const attrs = { "grpc.method": echoMethod, "grpc.target": `passthrough:///${address}`, "grpc.status": "UNAVAILABLE" };
    expect(counterValue(m, "grpc.client.attempt.started", { "grpc.method": echoMethod })).toBe(3);
    expect(histogramPoint(m, "grpc.client.attempt.duration", attrs)?.count).toBe(3);
    expect(histogramPoint(m, "grpc.client.call.duration", attrs)?.count).toBe(1);
  });

  it('records "other" for the methods and targets its options leave out', async () => {
    const { kit, client } = await start({ recordMethod: (method, side) => side === "client" && method.endsWith("/Echo"), targetAttribute: () => "other" });
    await client.echo({ message: "hi" });
    const m = await readWhen(kit, (m) => counterValue(m, "grpc.server.call.started", {}) === 1);
    expect(histogramPoint(m, "grpc.client.call.duration", { "grpc.method": echoMethod, "grpc.target": "other", "grpc.status": "OK" })?.count).toBe(1);
    expect(counterValue(m, "grpc.server.call.started", { "grpc.method": "other" })).toBe(1);
  });
});
