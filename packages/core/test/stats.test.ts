import { afterEach, describe, expect, it } from "vitest";
import { Code, type CallEndInfo, type CallStatsInfo, type StatsHandler } from "../src/index.js";
import { collect, failure, startEcho, type Harness } from "./support/harness.js";

interface Recorded {
  info: CallStatsInfo;
  sent: number[];
  received: number[];
  attempts: number[];
  ends: CallEndInfo[];
}

function recorder(): { handler: StatsHandler; calls: Recorded[] } {
  const calls: Recorded[] = [];
  return {
    calls,
    handler: {
      callStarted(info) {
        const r: Recorded = { info, sent: [], received: [], attempts: [], ends: [] };
        calls.push(r);
        return {
          messageSent: (n) => r.sent.push(n),
          messageReceived: (n) => r.received.push(n),
          attemptStarted: (n) => r.attempts.push(n),
          callEnded: (e) => r.ends.push(e),
        };
      },
    },
  };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("stats handlers", () => {
  it("hear each call's start, message sizes and end, on both sides", async () => {
    const client = recorder();
    const server = recorder();
    h = await startEcho({ channel: { statsHandlers: [client.handler] }, server: { statsHandlers: [server.handler] } });
    await h.client.echo({ message: "hello" });
    expect(await collect(h.client.expand({ message: "ab", repeat: 3 }))).toHaveLength(3);

    expect(client.calls.map((c) => c.info.method)).toEqual(["/grpckit.test.v1.EchoService/Echo", "/grpckit.test.v1.EchoService/Expand"]);
    expect(client.calls[0].info).toMatchObject({ side: "client", target: `passthrough:///${h.channel.target.raw}` });
    // "hello" as field 1: 2 bytes of tag and length + 5.
    expect(client.calls[0].sent).toEqual([7]);
    expect(client.calls[0].received).toEqual([7]);
    expect(client.calls[1].received).toHaveLength(3);
    expect(client.calls.map((c) => c.ends.map((e) => e.code))).toEqual([[Code.OK], [Code.OK]]);

    expect(server.calls.map((c) => c.info.side)).toEqual(["server", "server"]);
    expect(server.calls[0].received).toEqual([7]);
    expect(server.calls[0].sent).toEqual([7]);
    expect(server.calls[1].sent).toHaveLength(3);
    expect(server.calls.every((c) => c.ends.length === 1 && c.ends[0].code === Code.OK)).toBe(true);
  });

  it("hear a failed call end once with its code and error", async () => {
    const client = recorder();
    const server = recorder();
    h = await startEcho({ channel: { statsHandlers: [client.handler] }, server: { statsHandlers: [server.handler] } });
    await failure(h.client.echo({ message: "x", failCode: Code.NOT_FOUND, failMessage: "gone" }));
    expect(client.calls[0].ends).toHaveLength(1);
    expect(client.calls[0].ends[0].code).toBe(Code.NOT_FOUND);
    expect(client.calls[0].ends[0].error?.rawMessage).toBe("gone");
    expect(server.calls[0].ends.map((e) => e.code)).toEqual([Code.NOT_FOUND]);
  });

  it("count a retried call once, with its extra attempts", async () => {
    const client = recorder();
    h = await startEcho({
      channel: {
        statsHandlers: [client.handler],
        defaultServiceConfig: {
          methodConfig: [
            {
              name: [{ service: "grpckit.test.v1.EchoService" }],
              retryPolicy: { maxAttempts: 3, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["UNAVAILABLE"] },
            },
          ],
        },
      },
    });
    await failure(h.client.echo({ message: "x", failCode: Code.UNAVAILABLE, failMessage: "down" }));
    expect(client.calls).toHaveLength(1);
    expect(client.calls[0].attempts).toEqual([1, 2]);
    expect(client.calls[0].sent).toHaveLength(3);
    expect(client.calls[0].ends.map((e) => e.code)).toEqual([Code.UNAVAILABLE]);
  });
});
