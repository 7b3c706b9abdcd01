/**
 * A waitForReady call whose deadline comes while the server is down ends with
 * DEADLINE_EXCEEDED saying why it waited: the last connection error.
 */
import { createServer as createNetServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, type Channel } from "@grpckit/core";
import { h2Transport } from "../src/index.js";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";

let channels: Channel[] = [];

afterEach(() => {
  for (const c of channels) c.close();
  channels = [];
});

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("a waitForReady call that reaches its deadline", () => {
  it("says it waited for a connection and gives the last connection error", async () => {
    const port = await closedPort();
    const channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
    channels.push(channel);
    const error = await createClient(EchoService, channel)
      .echo({ message: "x" }, { waitForReady: true, timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(Code.DEADLINE_EXCEEDED);
    expect((error as GrpcError).rawMessage).toMatch(
      new RegExp(`^deadline exceeded while waiting for a connection; last connection error: failed to connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
  });
});
