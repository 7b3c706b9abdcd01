/**
 * Windows that size themselves, over loopback: a grpckit client and server on
 * transport-h2, with a relay between them that reads every frame (and can add round
 * trip). The client's windows start at 65,535 and grow during a bulk transfer, never
 * past 16 MiB; a user-set window turns the estimator off; an idle connection sends no
 * BDP PINGs; a peer that never answers the BDP PING gets no second one.
 */
import { createChannel, createClient, createServer, type Server } from "@grpckit/core";
import { afterEach, describe, expect, it } from "vitest";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";
import { FrameType, SettingId } from "../src/frame.js";
import { h2Transport, type H2TransportOptions } from "../src/index.js";
import { FrameTapRelay } from "./support/frame-tap-relay.js";
import { RawPeer, type Field } from "./support/raw-peer.js";

/** The request headers of a Collect call, as a client sends them. */
const collectRequest: readonly Field[] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/grpckit.test.v1.EchoService/Collect"],
  [":authority", "localhost"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
];

const MiB = 1024 * 1024;
const protocolWindow = 65_535;
/** A 64 KiB response message: the request's string, echoed by Expand. */
const message = "m".repeat(64 * 1024 - 16);
/** 512 messages of 64 KiB: a 32 MiB server stream. */
const bulkMessages = 512;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function serve(options?: H2TransportOptions): Promise<number> {
  const server: Server = createServer({ transport: h2Transport(options) });
  server.addService(EchoService, echoImpl());
  cleanups.push(() => server.forceShutdown());
  const { port } = await server.listen("127.0.0.1:0");
  return port!;
}

async function relayTo(port: number, delayMs = 0): Promise<FrameTapRelay> {
  const relay = await FrameTapRelay.start(port, delayMs);
  cleanups.push(() => relay.close());
  return relay;
}

function clientVia(relay: FrameTapRelay, options?: H2TransportOptions) {
  const channel = createChannel(`127.0.0.1:${relay.port}`, { transport: h2Transport(options) });
  cleanups.push(() => channel.close());
  return createClient(EchoService, channel);
}

/** Streams 32 MiB from the server in 64 KiB messages; resolves with how many arrived. */
async function bulk(client: ReturnType<typeof clientVia>): Promise<number> {
  let received = 0;
  for await (const r of client.expand({ message, repeat: bulkMessages }, { timeoutMs: 120_000 })) {
    if (r.message.length !== message.length) throw new Error(`message ${r.index} arrived with ${r.message.length} characters`);
    received++;
  }
  return received;
}

function describeRun(label: string, relay: FrameTapRelay): string {
  const w = relay.clientWindows();
  return (
    `${label}: ${(relay.dataBytes("server") / MiB).toFixed(1)} MiB from the server; the client's SETTINGS_INITIAL_WINDOW_SIZE ` +
    `${[protocolWindow, ...w.initialWindowSettings].join(" → ")}; largest connection window ${w.largestConnectionWindow}; ` +
    `${relay.pings("client").length} PINGs from the client, ${relay.pings("server").length} from the server; GOAWAYs: ${relay.goaways().length}`
  );
}

describe("the BDP estimator on a grpckit client and server", () => {
  it("starts the client's windows at 65,535 and grows them during a 32 MiB server stream, never past 16 MiB; the server's keepalive enforcement lets every BDP PING through", async () => {
    const relay = await relayTo(await serve());
    const client = clientVia(relay);
    expect(await bulk(client)).toBe(bulkMessages);
    console.log(describeRun("loopback", relay));

    expectGrownFromProtocolDefault(relay);
    const w = relay.clientWindows();
    expect(w.initialWindowSettings.at(-1)).toBeLessThanOrEqual(16 * MiB);
    expect(w.largestConnectionWindow).toBeGreaterThan(protocolWindow);
    expect(w.largestConnectionWindow).toBeLessThanOrEqual(16 * MiB);
    // Each BDP PING waits for the one before to be answered: at most one per DATA frame, far fewer in practice.
    expect(relay.pings("client").length).toBeLessThan(relay.sent("server", FrameType.DATA).length);
    // The server enforces keepalive with its defaults (more than two PINGs too close
    // together end the connection) and forgives each PING that follows its DATA.
    expect(relay.pings("client").length, "more BDP PINGs than the server's two strikes").toBeGreaterThan(2);
    expect(relay.goaways()).toEqual([]);
    expect(relay.connections).toBe(1);
  }, 60_000);

  it("with 20 ms of added round trip, grows the windows past 1 MiB, what 50 MiB/s needs over that link", async () => {
    // 10 ms each way. While the window is what limits the stream, each round trip's
    // sample fills it and the window grows by half or more, until the link (here, this
    // machine's CPU) is the limit: on a 2-core machine under load the relay carries
    // 30-190 MiB/s, whose round trip of 20 ms needs 0.6-3.8 MiB.
    const relay = await relayTo(await serve(), 10);
    const client = clientVia(relay);
    expect(await bulk(client)).toBe(bulkMessages);
    console.log(describeRun("20 ms round trip", relay));
    expectGrownFromProtocolDefault(relay);
    const w = relay.clientWindows();
    expect(w.initialWindowSettings.at(-1)).toBeGreaterThan(1 * MiB);
    expect(w.initialWindowSettings.at(-1)).toBeLessThanOrEqual(16 * MiB);
    expect(w.largestConnectionWindow).toBeGreaterThan(1 * MiB);
    expect(w.largestConnectionWindow).toBeLessThanOrEqual(16 * MiB);
    expect(relay.goaways()).toEqual([]);
  }, 60_000);

  it("a user-set initialWindowSize turns it off: no BDP PINGs from the client, and the window stays what was set", async () => {
    const relay = await relayTo(await serve());
    const client = clientVia(relay, { settings: { initialWindowSize: 1 * MiB } });
    expect(await bulk(client)).toBe(bulkMessages);
    console.log(describeRun("user-set 1 MiB window", relay));
    expect(relay.clientWindows().initialWindowSettings).toEqual([1 * MiB]);
    expect(relay.pings("client")).toEqual([]);
    // The connection window not set stays at its fixed 16 MiB, opened at once.
    expect(relay.sent("client", FrameType.WINDOW_UPDATE)[0]?.payload.readUInt32BE(0)).toBe(16 * MiB - protocolWindow);
    expect(relay.clientWindows().largestConnectionWindow).toBeLessThanOrEqual(16 * MiB);
  }, 60_000);

  it("a user-set connectionWindowSize turns it off too: no BDP PINGs, and the stream window is the fixed 4 MiB", async () => {
    const relay = await relayTo(await serve());
    const client = clientVia(relay, { settings: { connectionWindowSize: 2 * MiB } });
    let n = 0;
    for await (const _ of client.expand({ message, repeat: 64 })) n++;
    expect(n).toBe(64);
    console.log(describeRun("user-set 2 MiB connection window", relay));
    expect(relay.clientWindows().initialWindowSettings).toEqual([4 * MiB]);
    expect(relay.pings("client")).toEqual([]);
    expect(relay.sent("client", FrameType.WINDOW_UPDATE)[0]?.payload.readUInt32BE(0)).toBe(2 * MiB - protocolWindow);
    expect(relay.clientWindows().largestConnectionWindow).toBeLessThanOrEqual(2 * MiB);
  }, 30_000);

  it("an idle connection sends no BDP PINGs, and none follow the last DATA once a transfer is over", async () => {
    const relay = await relayTo(await serve());
    const channel = createChannel(`127.0.0.1:${relay.port}`, { transport: h2Transport() });
    cleanups.push(() => channel.close());
    await channel.waitForReady();
    await sleep(300);
    expect(relay.connections).toBe(1);
    expect(relay.pings("client"), "PINGs from the idle client").toEqual([]);
    expect(relay.pings("server"), "PINGs from the idle server").toEqual([]);

    const client = createClient(EchoService, channel);
    let n = 0;
    for await (const _ of client.expand({ message, repeat: 64 })) n++;
    expect(n).toBe(64);
    // The last DATA may still draw a PING (and its ACK) just after the call ends; then nothing more.
    await sleep(100);
    const after = relay.frames.length;
    const pingsAfter = relay.pings("client").length + relay.pings("server").length;
    await sleep(500);
    console.log(`idle, then a 4 MiB stream: ${pingsAfter} BDP PINGs during it; frames in the 500 ms after: ${relay.frames.length - after}`);
    expect(relay.frames.length - after, "frames once the transfer was over").toBe(0);
    expect(relay.pings("client").length + relay.pings("server").length, "PINGs once the transfer was over").toBe(pingsAfter);
  }, 30_000);
});

describe("a peer that never answers the BDP PING", () => {
  it("gets one PING and no more while it is unanswered, and its 1 MiB upload still completes at the 65,535 window", async () => {
    const port = await serve();
    const peer = await RawPeer.connect(port, { autoPingAck: false, timeoutMs: 10_000 });
    cleanups.push(() => peer.close());
    const id = peer.nextStreamId();
    peer.headers(id, collectRequest);
    // 1 MiB in 1,000-byte messages, each its own DATA frame, sent only as far as the
    // server's windows allow (it returns them as it reads), so DATA keeps arriving
    // while the server's one BDP PING waits for its ACK.
    const one = collectMessage("c".repeat(995));
    let sent = 0;
    for (let round = 0; sent < MiB && round < 10_000; round++) {
      while (Math.min(peer.sendWindow(id), peer.connectionSendWindow) >= one.byteLength && sent < MiB) {
        peer.data(id, one);
        sent += one.byteLength;
      }
      if (sent < MiB) await peer.waitFor(() => Math.min(peer.sendWindow(id), peer.connectionSendWindow) >= one.byteLength, "window to send more");
    }
    peer.data(id, Buffer.alloc(0), true);
    const r = await peer.response(id);
    expect(r.trailers?.["grpc-status"]).toBe("0");
    const pings = peer.frames.filter((f) => f.type === "PING" && !f.ack);
    const dataFramesSent = Math.ceil(sent / one.byteLength);
    console.log(`unanswered BDP PING: ${dataFramesSent} DATA frames (${sent} bytes) uploaded, ${pings.length} PING from the server, GOAWAYs: ${peer.frames.filter((f) => f.type === "GOAWAY").length}`);
    expect(pings).toHaveLength(1);
    // The windows never grew: no SETTINGS changed the stream window, and the peer was never allowed more than 65,535 at once.
    const settings = peer.frames.filter((f) => f.type === "SETTINGS" && !f.ack);
    expect(settings.every((f) => f.type === "SETTINGS" && !f.params.has(SettingId.INITIAL_WINDOW_SIZE))).toBe(true);
    expect(peer.connectionSendWindow).toBeLessThanOrEqual(protocolWindow);
    expect(peer.frames.filter((f) => f.type === "GOAWAY")).toEqual([]);
  }, 30_000);
});

describe("streams whose readers stopped, with estimated windows", () => {
  it("one paused stream leaves the connection window to the others, and a client filling 400 paused streams gets no more than 16 MiB past the window into them", async () => {
    // Collect that never reads its requests: core takes 16 messages, then the transport holds the rest.
    const server: Server = createServer({ transport: h2Transport() });
    server.addService(EchoService, {
      ...echoImpl(),
      async collect(_requests, ctx) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        return { message: "never read" };
      },
    });
    cleanups.push(() => server.forceShutdown());
    const { port } = await server.listen("127.0.0.1:0");
    const peer = await RawPeer.connect(port!, { timeoutMs: 10_000 });
    cleanups.push(() => peer.close());
    const streams = 400;
    const ids: number[] = [];
    for (let i = 0; i < streams; i++) {
      const id = peer.nextStreamId();
      ids.push(id);
      peer.headers(id, collectRequest);
    }
    const one = collectMessage("p".repeat(1019));
    let accepted = 0;
    // Fill every stream's window as far as the connection window lets us, until two
    // rounds 100 ms apart open no more room. (No PINGs of our own: the server sends no
    // DATA, so it would count them against its keepalive policy.)
    let idleRounds = 0;
    for (let round = 0; round < 100 && idleRounds < 2; round++) {
      let sentThisRound = 0;
      for (const id of ids) {
        const room = Math.min(peer.sendWindow(id), peer.connectionSendWindow);
        const count = Math.floor(room / one.byteLength);
        if (count === 0) continue;
        peer.data(id, Buffer.concat(Array<Buffer>(count).fill(one)));
        sentThisRound += count * one.byteLength;
      }
      accepted += sentThisRound;
      await sleep(100);
      idleRounds = sentThisRound === 0 ? idleRounds + 1 : 0;
    }
    console.log(`400 paused streams: ${(accepted / MiB).toFixed(1)} MiB accepted into them; GOAWAYs: ${peer.frames.filter((f) => f.type === "GOAWAY").length}`);
    // Had the first paused stream kept the connection window (as it did while the
    // connection's was returned only as core read), the others got 0.2 MiB in all.
    expect(accepted, "streams after a paused one had their windows").toBeGreaterThan((streams / 2) * 60_000);
    expect(accepted, "at most 16 MiB held past the connection window (itself at most 16 MiB)").toBeLessThanOrEqual(32 * MiB);
    expect(peer.frames.filter((f) => f.type === "GOAWAY")).toEqual([]);
    // The server still serves: a call on the same connection succeeds.
    const id = peer.nextStreamId();
    peer.headers(id, [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/grpckit.test.v1.EchoService/Echo"],
      [":authority", "localhost"],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
    ]);
    peer.data(id, collectMessage("still here"), true);
    expect((await peer.response(id)).trailers?.["grpc-status"]).toBe("0");
  }, 60_000);
});

/** One gRPC message of an EchoRequest whose `message` is `text` (field 1, under 128 bytes long or not). */
function collectMessage(text: string): Buffer {
  const body = Buffer.from(text, "latin1");
  const lengthBytes: number[] = [];
  for (let n = body.byteLength; ; n >>>= 7) {
    if (n < 0x80) {
      lengthBytes.push(n);
      break;
    }
    lengthBytes.push((n & 0x7f) | 0x80);
  }
  const proto = Buffer.concat([Buffer.from([0x0a, ...lengthBytes]), body]);
  const out = Buffer.alloc(5 + proto.byteLength);
  out.writeUInt32BE(proto.byteLength, 1);
  proto.copy(out, 5);
  return out;
}

/**
 * The client's windows started at the protocol's 65,535 (no INITIAL_WINDOW_SIZE in its
 * first SETTINGS, no connection WINDOW_UPDATE before DATA arrived) and grew in steps,
 * each SETTINGS_INITIAL_WINDOW_SIZE larger than the one before.
 */
function expectGrownFromProtocolDefault(relay: FrameTapRelay): void {
  const [firstSettings] = relay.sent("client", FrameType.SETTINGS);
  expect(settingValue(firstSettings.payload, SettingId.INITIAL_WINDOW_SIZE), "the client's first SETTINGS leave the stream window at 65,535").toBeUndefined();
  const firstUpdate = relay.frames.findIndex((f) => f.from === "client" && f.type === FrameType.WINDOW_UPDATE && f.streamId === 0);
  const firstData = relay.frames.findIndex((f) => f.from === "server" && f.type === FrameType.DATA);
  expect(firstUpdate, "no connection WINDOW_UPDATE before DATA arrived").toBeGreaterThan(firstData);
  const settings = relay.clientWindows().initialWindowSettings;
  expect(settings.length, "SETTINGS that grew the stream window").toBeGreaterThan(1);
  expect(settings[0]).toBeGreaterThan(protocolWindow);
  for (let i = 1; i < settings.length; i++) expect(settings[i]).toBeGreaterThan(settings[i - 1]);
}

function settingValue(payload: Buffer, id: number): number | undefined {
  for (let o = 0; o + 6 <= payload.byteLength; o += 6) if (payload.readUInt16BE(o) === id) return payload.readUInt32BE(o + 2);
  return undefined;
}
