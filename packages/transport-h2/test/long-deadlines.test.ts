/**
 * Deadlines longer than a Node timer can hold (2^31−1 ms, about 24.8 days) are kept,
 * not ended at once: grpc-timeout values up to the largest the header can carry, on
 * both transports, and a grpckit client's 30-day timeout.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createChannel, createClient, createServer, type Channel, type Server, type TransportBuilder } from "@grpckit/core";
import { h2Transport } from "../src/index.js";
import { http2Transport } from "../../transport-http2/src/index.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl, type EchoLog } from "../../core/test/support/echo-service.js";
import { echoFrame, rawGrpcRequest } from "./support/raw-grpc-request.js";

const transports: [string, () => TransportBuilder][] = [
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
];
const day = 24 * 60 * 60 * 1000;

let servers: Server[] = [];
let channels: Channel[] = [];

afterEach(() => {
  for (const c of channels) c.close();
  for (const s of servers) s.forceShutdown();
  servers = [];
  channels = [];
});

async function serve(transport: TransportBuilder, log: EchoLog): Promise<number> {
  const server = createServer({ transport });
  server.addService(EchoService, echoImpl(log));
  servers.push(server);
  const { port } = await server.listen("127.0.0.1:0");
  return port!;
}

describe.each(transports)("deadlines beyond 24.8 days on %s", (_name, makeTransport) => {
  it.each(["35792M", "3000000S", "99999999H"])("a call with grpc-timeout %s runs to its end and succeeds", async (timeout) => {
    const log: EchoLog = { aborted: [], contexts: [] };
    const port = await serve(makeTransport(), log);
    // The handler waits 100 ms: long enough for a deadline that fired at once to show.
    const r = await rawGrpcRequest(port, "/grpckit.test.v1.EchoService/Echo", echoFrame({ message: "long", delayMs: 100 }), {
      "grpc-timeout": timeout,
    });
    expect(r).toMatchObject({ status: 0, responses: [{ message: "long" }] });
    expect(log.aborted).toEqual([]);
    expect(log.contexts[0].timeRemaining()).toBeGreaterThan(24 * day);
  });

  it("a grpckit client's 30-day timeout lets the call finish", async () => {
    const log: EchoLog = { aborted: [], contexts: [] };
    const transport = makeTransport();
    const port = await serve(transport, log);
    const channel = createChannel(`127.0.0.1:${port}`, { transport });
    channels.push(channel);
    const reply = await createClient(EchoService, channel).echo({ message: "month", delayMs: 100 }, { timeoutMs: 30 * day });
    expect(reply.message).toBe("month");
    expect(log.aborted).toEqual([]);
    expect(log.contexts[0].timeRemaining()).toBeGreaterThan(29 * day);
  });
});
