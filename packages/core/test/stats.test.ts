import { afterEach, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, Metadata, type CallStatsEvent, type CallTagInfo, type ConnectionStatsEvent, type ConnectionTagInfo, type StatsHandler } from "../src/index.js";
import { EchoRequestSchema } from "./gen/grpckit/test/v1/echo_pb.js";
import { collect, failure, startEcho, type Harness } from "./support/harness.js";

interface Recorded {
  info: CallTagInfo;
  events: CallStatsEvent[];
}

interface RecordedConnection {
  info: ConnectionTagInfo;
  events: ConnectionStatsEvent[];
}

/** A handler that tags each call with a record of its events (and connections the same). */
function recorder(accept: (info: CallTagInfo) => boolean = () => true) {
  const calls: Recorded[] = [];
  const connections: RecordedConnection[] = [];
  const handler: StatsHandler<Recorded, RecordedConnection> = {
    tagCall(info) {
      if (!accept(info)) return undefined;
      const r: Recorded = { info, events: [] };
      calls.push(r);
      return r;
    },
    handleCall(tag, event) {
      tag.events.push(event);
    },
    tagConnection(info) {
      const r: RecordedConnection = { info, events: [] };
      connections.push(r);
      return r;
    },
    handleConnection(tag, event) {
      tag.events.push(event);
    },
  };
  return { handler, calls, connections };
}

const types = (r: Recorded) => r.events.map((e) => (e.type === "begin" || e.type === "end" ? `${e.type}${e.attempt}` : e.type));
/** The event kinds whose `type` may be T ("outHeader" is a HeaderEvent). */
type EventOf<T, E = CallStatsEvent> = E extends { type: infer U } ? (T extends U ? E : never) : never;
const ofType = <T extends CallStatsEvent["type"]>(r: Recorded, type: T) => r.events.filter((e): e is EventOf<T> => e.type === type);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const retryConfig = (policy: object) => ({
  methodConfig: [{ name: [{ service: "grpckit.test.v1.EchoService" }], ...policy }],
});

describe("stats handlers", () => {
  it("hear a unary call's every event in order on both sides, each with the call's tag", async () => {
    const client = recorder();
    const server = recorder();
    h = await startEcho({ channel: { statsHandlers: [client.handler] }, server: { statsHandlers: [server.handler] } });
    const md = new Metadata();
    md.set("x-echo", "ping");
    await h.client.echo({ message: "hello" }, { metadata: md, timeoutMs: 60_000 });

    expect(client.calls).toHaveLength(1);
    const c = client.calls[0];
    expect(c.info).toMatchObject({ side: "client", method: "/grpckit.test.v1.EchoService/Echo", target: `passthrough:///${h.channel.target.raw}` });
    expect(types(c)).toEqual(["begin0", "outHeader", "outPayload", "halfClose", "inHeader", "inPayload", "inTrailer", "end0", "callEnd"]);
    const [out, inHeader] = [ofType(c, "outHeader")[0], ofType(c, "inHeader")[0]];
    expect(out).toMatchObject({ method: "/grpckit.test.v1.EchoService/Echo", authority: h.channel.target.raw, compression: undefined });
    expect(out.metadata.get("x-echo")).toBe("ping");
    expect(out.timeoutMs).toBeGreaterThan(50_000);
    expect(out.timeoutMs).toBeLessThanOrEqual(60_000);
    // The in-memory transport names its listener "inmemory:NAME".
    expect(out.peer).toBe(`inmemory:${h.channel.target.raw}`);
    expect(inHeader.metadata.get("x-echo")).toBe("ping");
    // "hello" as field 1: 2 bytes of tag and length + 5.
    const sent = ofType(c, "outPayload")[0];
    expect(sent).toMatchObject({ length: 7, compressedLength: 7, message: { message: "hello" } });
    expect(new Uint8Array(sent.data())).toEqual(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "hello" })));
    expect(ofType(c, "inPayload")[0]).toMatchObject({ length: 7, compressedLength: 7, message: { message: "hello" } });
    const trailer = ofType(c, "inTrailer")[0];
    expect(trailer).toMatchObject({ code: Code.OK, error: undefined, statusDetails: undefined });
    expect(trailer.metadata.get("x-trailer")).toBe("done");
    expect(ofType(c, "end")[0]).toMatchObject({ code: Code.OK, statusExchanged: true });
    expect(ofType(c, "callEnd")[0]).toMatchObject({ code: Code.OK, attempts: 1 });

    expect(server.calls).toHaveLength(1);
    const s = server.calls[0];
    expect(s.info).toMatchObject({ side: "server", method: "/grpckit.test.v1.EchoService/Echo" });
    expect(types(s)).toEqual(["begin0", "inHeader", "inPayload", "halfClose", "outHeader", "outPayload", "outTrailer", "end0"]);
    const request = ofType(s, "inHeader")[0];
    expect(request).toMatchObject({ method: "/grpckit.test.v1.EchoService/Echo", authority: h.channel.target.raw });
    expect(request.metadata.get("x-echo")).toBe("ping");
    expect(request.timeoutMs).toBeGreaterThan(50_000);
    expect(ofType(s, "outHeader")[0].metadata.get("x-echo")).toBe("ping");
    expect(ofType(s, "outTrailer")[0].metadata.get("x-trailer")).toBe("done");
    expect(ofType(s, "end")[0]).toMatchObject({ code: Code.OK, statusExchanged: true });
  });

  it("tell a compressed message's size before and after compression, and the grpc-encoding of its headers", async () => {
    const client = recorder();
    const server = recorder();
    h = await startEcho({ channel: { statsHandlers: [client.handler] }, server: { statsHandlers: [server.handler] } });
    const payload = new Uint8Array(10_000);
    await h.client.echo({ payload }, { compression: "gzip" });
    const c = client.calls[0];
    expect(ofType(c, "outHeader")[0].compression).toBe("gzip");
    expect(ofType(c, "inHeader")[0].compression).toBe("gzip");
    for (const e of [...ofType(c, "outPayload"), ...ofType(c, "inPayload")]) {
      expect(e.length).toBeGreaterThan(10_000);
      expect(e.compressedLength).toBeLessThan(200);
      expect(e.data().byteLength).toBe(e.length);
    }
    const s = server.calls[0];
    expect(ofType(s, "inHeader")[0].compression).toBe("gzip");
    expect(ofType(s, "inPayload")[0].compressedLength).toBe(ofType(c, "outPayload")[0].compressedLength);
    expect(ofType(s, "outPayload")[0].compressedLength).toBe(ofType(c, "inPayload")[0].compressedLength);
  });

  it("hear a failed call's status with its trailer, once, and a server-streaming call's every message", async () => {
    const client = recorder();
    const server = recorder();
    h = await startEcho({ channel: { statsHandlers: [client.handler] }, server: { statsHandlers: [server.handler] } });
    await failure(h.client.echo({ message: "x", failCode: Code.NOT_FOUND, failMessage: "gone" }));
    expect(await collect(h.client.expand({ message: "ab", repeat: 3 }))).toHaveLength(3);
    const [failed, streamed] = client.calls;
    expect(ofType(failed, "inTrailer")[0]).toMatchObject({ code: Code.NOT_FOUND, error: { rawMessage: "gone" } });
    expect(ofType(failed, "callEnd")).toMatchObject([{ code: Code.NOT_FOUND }]);
    expect(ofType(server.calls[0], "outTrailer")).toMatchObject([{ code: Code.NOT_FOUND }]);
    expect(types(streamed)).toEqual(["begin0", "outHeader", "outPayload", "halfClose", "inHeader", "inPayload", "inPayload", "inPayload", "inTrailer", "end0", "callEnd"]);
    expect(ofType(server.calls[1], "outPayload")).toHaveLength(3);
  });

  it("hear nothing of a call their tagCall declines", async () => {
    const client = recorder((info) => !info.method.endsWith("/Echo"));
    h = await startEcho({ channel: { statsHandlers: [client.handler] } });
    await h.client.echo({ message: "skipped" });
    await collect(h.client.expand({ message: "heard", repeat: 1 }));
    expect(client.calls.map((c) => c.info.method)).toEqual(["/grpckit.test.v1.EchoService/Expand"]);
  });

  it("hear each attempt of a retried call begin and end with its own status, and the call end once", async () => {
    const client = recorder();
    h = await startEcho({
      channel: {
        statsHandlers: [client.handler],
        defaultServiceConfig: retryConfig({
          retryPolicy: { maxAttempts: 3, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] },
        }),
      },
    });
    await failure(h.client.echo({ message: "x", failCode: Code.UNAVAILABLE, failMessage: "down" }));
    expect(client.calls).toHaveLength(1);
    const c = client.calls[0];
    expect(ofType(c, "begin")).toMatchObject([
      { attempt: 0, transparentRetry: false, hedge: false },
      { attempt: 1, transparentRetry: false, hedge: false },
      { attempt: 2, transparentRetry: false, hedge: false },
    ]);
    expect(ofType(c, "end").map((e) => [e.attempt, e.code])).toEqual([
      [0, Code.UNAVAILABLE],
      [1, Code.UNAVAILABLE],
      [2, Code.UNAVAILABLE],
    ]);
    expect(ofType(c, "outPayload").map((e) => e.attempt)).toEqual([0, 1, 2]);
    expect(ofType(c, "callEnd")).toMatchObject([{ code: Code.UNAVAILABLE, attempts: 3 }]);
    expect(c.events.at(-1)?.type).toBe("callEnd");
  });

  it("mark the hedges of a hedged call", async () => {
    const client = recorder();
    h = await startEcho({
      channel: {
        statsHandlers: [client.handler],
        defaultServiceConfig: retryConfig({ hedgingPolicy: { maxAttempts: 3, hedgingDelay: "0s", nonFatalStatusCodes: ["UNAVAILABLE"] } }),
      },
    });
    await failure(h.client.echo({ message: "x", failCode: Code.UNAVAILABLE, failMessage: "down" }));
    const c = client.calls[0];
    expect(ofType(c, "begin").map((e) => [e.attempt, e.hedge])).toEqual([
      [0, false],
      [1, true],
      [2, true],
    ]);
    expect(ofType(c, "end")).toHaveLength(3);
    expect(ofType(c, "callEnd")).toHaveLength(1);
  });

  it("hear every attempt of a cancelled hedged call end before the call does", async () => {
    const client = recorder();
    h = await startEcho({
      channel: {
        statsHandlers: [client.handler],
        defaultServiceConfig: retryConfig({ hedgingPolicy: { maxAttempts: 3, hedgingDelay: "0s", nonFatalStatusCodes: ["UNAVAILABLE"] } }),
      },
    });
    const controller = new AbortController();
    const call = failure(h.client.echo({ message: "slow", delayMs: 5_000 }, { signal: controller.signal }));
    while (client.calls.length === 0 || ofType(client.calls[0], "outPayload").length < 3) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect((await call).code).toBe(Code.CANCELLED);
    const c = client.calls[0];
    expect(ofType(c, "end").map((e) => [e.attempt, e.code])).toEqual([
      [0, Code.CANCELLED],
      [1, Code.CANCELLED],
      [2, Code.CANCELLED],
    ]);
    expect(c.events.at(-1)).toMatchObject({ type: "callEnd", code: Code.CANCELLED, attempts: 3 });
  });

  it("hear a client's cancellation on the server as an end with no status sent", async () => {
    const server = recorder();
    h = await startEcho({ server: { statsHandlers: [server.handler] } });
    const controller = new AbortController();
    const it = h.client.expand({ message: "slow", repeat: 5, delayMs: 2_000 }, { signal: controller.signal })[Symbol.asyncIterator]();
    const next = it.next();
    while (server.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await failure(next);
    while (ofType(server.calls[0], "end").length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(ofType(server.calls[0], "end")).toMatchObject([{ code: Code.CANCELLED, statusExchanged: false }]);
    expect(ofType(server.calls[0], "outTrailer")).toHaveLength(0);
  });

  it("hear each connection begin and end, client and server side, with both addresses", async () => {
    const client = recorder();
    const server = recorder();
    h = await startEcho({ channel: { statsHandlers: [client.handler] }, server: { statsHandlers: [server.handler] } });
    await h.client.echo({ message: "x" });
    expect(client.connections).toHaveLength(1);
    expect(server.connections).toHaveLength(1);
    const [c, s] = [client.connections[0], server.connections[0]];
    // The in-memory transport names its listener "inmemory:NAME", and each client connection.
    expect(c.info).toMatchObject({ side: "client", peer: `inmemory:${h.channel.target.raw}` });
    expect(s.info).toMatchObject({ side: "server", localAddress: `inmemory:${h.channel.target.raw}` });
    expect(c.info.localAddress).toBe(s.info.peer);
    expect(c.info.localAddress).toMatch(/./);
    expect(c.events.map((e) => e.type)).toEqual(["begin"]);
    await h.close();
    h = undefined;
    await new Promise((r) => setTimeout(r, 20));
    expect(c.events.map((e) => e.type)).toEqual(["begin", "end"]);
    expect(s.events.map((e) => e.type)).toEqual(["begin", "end"]);
  });
});
