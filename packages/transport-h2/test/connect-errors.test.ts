/** What a user reads when a channel on transport-h2 cannot connect: the address once, then what went wrong. */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, type Channel } from "@grpckit/core";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { h2Transport } from "../src/index.js";

const channels: Channel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) c.close();
});

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("connect errors on transport-h2", () => {
  it("a refused connection reads \"failed to connect to ADDRESS: connect ECONNREFUSED ADDRESS\", the prefix once", async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const channel = createChannel(address, { transport: h2Transport() });
    channels.push(channel);
    const err = await createClient(EchoService, channel)
      .echo({ message: "hello" }, { timeoutMs: 5000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(GrpcError);
    expect((err as GrpcError).code).toBe(Code.UNAVAILABLE);
    expect((err as GrpcError).message).toBe(`[unavailable] failed to connect to ${address}: connect ECONNREFUSED ${address}`);
  });
});
