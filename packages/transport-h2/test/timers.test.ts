/**
 * Timers transport-h2 sets from what it is given: a delay past setTimeout's maximum
 * (2^31-1 ms) must mean "that long", never the 1 ms node turns it into.
 */
import { insecureCredentials, type ClientTransport } from "@grpckit/core";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { settingsFrame } from "../src/frame.js";
import { h2Transport } from "../src/index.js";

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

describe("the connect timeout", () => {
  it("of 2^32 ms does not end a connection whose server answers after 100 ms", async () => {
    // A server that waits before its SETTINGS, so a timer cut to 1 ms would fire first.
    const server = net.createServer((socket) => {
      socket.on("error", () => {});
      setTimeout(() => socket.write(settingsFrame([])), 100);
      cleanups.push(() => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    const port = (server.address() as AddressInfo).port;

    const transport: ClientTransport = await h2Transport().connect(`127.0.0.1:${port}`, {
      authority: "localhost",
      credentials: insecureCredentials(),
      connectTimeoutMs: 2 ** 32,
      onGoaway() {},
      onClose() {},
    });
    cleanups.push(() => transport.destroy());
    expect(transport.peer.address).toBe(`127.0.0.1:${port}`);
  });
});
