/**
 * A client-streaming or bidi request may end with END_STREAM on its HEADERS frame (a
 * request with no content, RFC 9113 section 8.1) or with an empty DATA frame; either
 * way the handler sees an empty request stream, on both transports.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createServer, type Server, type TransportBuilder } from "@grpckit/core";
import { h2Transport } from "../src/index.js";
import { http2Transport } from "../../transport-http2/src/index.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl, type EchoLog } from "../../core/test/support/echo-service.js";
import { rawGrpcRequest } from "./support/raw-grpc-request.js";

const transports: [string, () => TransportBuilder][] = [
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
];
/** How the request ends: END_STREAM on HEADERS (no body), or an empty DATA frame carrying it. */
const endings: [string, Buffer | undefined][] = [
  ["END_STREAM on HEADERS", undefined],
  ["an empty DATA frame with END_STREAM", Buffer.alloc(0)],
];

let servers: Server[] = [];

afterEach(() => {
  for (const s of servers) s.forceShutdown();
  servers = [];
});

async function serve(transport: TransportBuilder, log: EchoLog): Promise<number> {
  const server = createServer({ transport });
  server.addService(EchoService, echoImpl(log));
  servers.push(server);
  const { port } = await server.listen("127.0.0.1:0");
  return port!;
}

describe.each(transports)("an empty request stream on %s", (_name, makeTransport) => {
  it.each(endings)("a client-streaming call ended by %s returns the handler's result for no messages", async (_how, body) => {
    const log: EchoLog = { aborted: [], contexts: [] };
    const port = await serve(makeTransport(), log);
    const r = await rawGrpcRequest(port, "/grpckit.test.v1.EchoService/Collect", body);
    expect(r.status).toBe(0);
    expect(r.responses).toHaveLength(1);
    expect(r.responses[0]).toMatchObject({ message: "", index: 0 });
    expect(log.contexts).toHaveLength(1);
  });

  it.each(endings)("a bidi call ended by %s ends OK with no responses", async (_how, body) => {
    const log: EchoLog = { aborted: [], contexts: [] };
    const port = await serve(makeTransport(), log);
    const r = await rawGrpcRequest(port, "/grpckit.test.v1.EchoService/Chat", body);
    expect(r.status).toBe(0);
    expect(r.responses).toEqual([]);
    expect(log.contexts).toHaveLength(1);
  });
});
