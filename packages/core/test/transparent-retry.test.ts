import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  Http2ErrorCode,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  pickFirstBalancer,
  registerBalancer,
  type BalancerBuilder,
  type CallStatsEvent,
  type Channel,
  type ChannelOptions,
  type ClientTransport,
  type PickDoneInfo,
  type Server,
  type TransportBuilder,
} from "../src/index.js";
import { EchoService, echoImpl } from "./support/echo-service.js";
import { failure } from "./support/harness.js";

/**
 * The in-memory transport, but the server side refuses the first `refusals` streams
 * with REFUSED_STREAM before its application sees them, as an HTTP/2 server does for
 * streams above a GOAWAY's last stream id.
 */
function refusingTransport(refusals: number): { transport: TransportBuilder; opened: () => number } {
  const inner = createInMemoryTransport();
  let opened = 0;
  let left = refusals;
  const transport: TransportBuilder = {
    name: "refusing",
    listen: (address, options) => inner.listen(address, options),
    async connect(address, options) {
      const t = await inner.connect(address, options);
      const wrapped: ClientTransport = {
        peer: t.peer,
        close: () => t.close(),
        destroy: () => t.destroy(),
        ping: () => t.ping(),
        openStream(headers, listener) {
          opened++;
          if (left > 0) {
            left--;
            queueMicrotask(() => listener.onClose(Http2ErrorCode.REFUSED_STREAM));
            return { write: () => true, end: () => {}, reset: () => {}, pause: () => {}, resume: () => {} };
          }
          return t.openStream(headers, listener);
        },
      };
      return wrapped;
    },
  };
  return { transport, opened: () => opened };
}

let server: Server | undefined;
let channel: Channel | undefined;
afterEach(() => {
  channel?.close();
  server?.forceShutdown();
});

/** pick_first, with every pick's onDone recorded in `attempts`. */
const attempts: PickDoneInfo[] = [];
const recordingPickFirst: BalancerBuilder = {
  name: "test_recording_pick_first",
  build: (cc, options) =>
    pickFirstBalancer.build(
      {
        ...cc,
        updateState: ({ state, picker }) =>
          cc.updateState({
            state,
            picker: {
              pick(info) {
                const r = picker.pick(info);
                return r.type === "pick" ? { ...r, onDone: (done) => void attempts.push(done) } : r;
              },
            },
          }),
      },
      options,
    ),
};
registerBalancer(recordingPickFirst);

async function start(refusals: number, options: ChannelOptions = {}) {
  const { transport, opened } = refusingTransport(refusals);
  server = createServer({ transport });
  server.addService(EchoService, echoImpl());
  const { address } = await server.listen(`refusing-${Math.random()}`);
  channel = createChannel(address, { transport, ...options });
  return { client: createClient(EchoService, channel), opened };
}

describe("transparent retry of refused streams", () => {
  it("sends a unary call again when the server refused its stream, without a retry policy", async () => {
    const { client, opened } = await start(1);
    expect((await client.echo({ message: "again" })).message).toBe("again");
    expect(opened()).toBe(2);
  });

  it("tells the refused attempt's pick UNAVAILABLE with the bytes it wrote, and the new pick how the call ended", async () => {
    attempts.length = 0;
    const { client } = await start(1, { defaultServiceConfig: '{"loadBalancingPolicy":"test_recording_pick_first"}' });
    expect((await client.echo({ message: "a" })).message).toBe("a");
    expect(attempts.map((a) => a.code)).toEqual([Code.UNAVAILABLE, Code.OK]);
    // The request {message: "a"} is 3 bytes encoded, 8 with its 5-byte prefix, written on each stream.
    expect(attempts.map((a) => a.bytesSent)).toEqual([8, 8]);
    expect(attempts.map((a) => a.bytesReceived)).toEqual([0, 8]);
    expect(attempts.map((a) => a.trailers.get("x-trailer"))).toEqual([undefined, "done"]);
  });

  it("replays every message of a client stream written before the refusal", async () => {
    const { client } = await start(1);
    const res = await client.collect([{ message: "a" }, { message: "b" }]);
    expect(res.message).toBe("a,b");
  });

  it("tells stats handlers the refused attempt's end and the transparent retry's begin", async () => {
    const events: CallStatsEvent[] = [];
    const { client } = await start(1, { statsHandlers: [{ handleCall: (_tag, e) => void events.push(e) }] });
    expect((await client.echo({ message: "a" })).message).toBe("a");
    expect(events.filter((e) => e.type === "begin")).toMatchObject([
      { attempt: 0, transparentRetry: false },
      { attempt: 1, transparentRetry: true },
    ]);
    expect(events.filter((e) => e.type === "end")).toMatchObject([
      { attempt: 0, code: Code.UNAVAILABLE, statusExchanged: false },
      { attempt: 1, code: Code.OK, statusExchanged: true },
    ]);
    // The refused stream's headers and message count for its attempt, and again for the retry.
    expect(events.flatMap((e) => (e.type === "outHeader" || e.type === "outPayload" ? [`${e.type}${e.attempt}`] : []))).toEqual([
      "outHeader0",
      "outPayload0",
      "outHeader1",
      "outPayload1",
    ]);
    expect(events.filter((e) => e.type === "callEnd")).toMatchObject([{ code: Code.OK, attempts: 2 }]);
  });

  it("retries only once: a second refusal fails the call UNAVAILABLE, saying the server did not process it", async () => {
    const { client, opened } = await start(2);
    const err = await failure(client.echo({ message: "x" }));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.rawMessage).toMatch(/did not process the request/);
    expect(opened()).toBe(2);
  });
});
