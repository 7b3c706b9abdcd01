import { describe, expect, it } from "vitest";
import { createInMemoryTransport, createServer, enableChannelz } from "../src/index.js";
// Its own file: vitest gives each file a fresh process, so channelz starts disabled here.

describe("channelz and a server made before it was enabled", () => {
  it("records the server once it starts listening", async () => {
    const server = createServer({ transport: createInMemoryTransport() });
    const registry = enableChannelz();
    expect(server.channelz).toBeUndefined();
    await server.listen("late-server");
    expect(registry.server(server.channelz!.id)).toBe(server.channelz);
    server.forceShutdown();
  });
});
