import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  resolverRegistry,
  type Channel,
  type Server,
} from "../src/index.js";
import { parseAddressList } from "../src/resolver/address-list-resolver.js";
import { parseTarget } from "../src/resolver/target.js";
import { EchoService, echoImpl } from "./support/echo-service.js";
import { failure } from "./support/harness.js";

const known = (s: string) => resolverRegistry.has(s);
const addrs = (raw: string, family: 4 | 6) =>
  parseAddressList(parseTarget(raw, "passthrough", known), family).map((e) => e.addresses.map((a) => a.addr));

describe("ipv4: targets", () => {
  it("list one endpoint per address, with port 443 when none is given", () => {
    expect(addrs("ipv4:127.0.0.1:50051,127.0.0.2", 4)).toEqual([["127.0.0.1:50051"], ["127.0.0.2:443"]]);
  });

  it("accept the ipv4:/// form", () => {
    expect(addrs("ipv4:///10.0.0.1:80", 4)).toEqual([["10.0.0.1:80"]]);
  });

  it("reject a host name, naming it", () => {
    expect(() => addrs("ipv4:localhost:80", 4)).toThrow(/"localhost:80" is not an IPv4 address/);
  });

  it("reject a bad port", () => {
    expect(() => addrs("ipv4:127.0.0.1:99999", 4)).toThrow(/invalid port/);
  });

  it("reject an empty list", () => {
    expect(() => addrs("ipv4:", 4)).toThrow(/lists no addresses/);
  });
});

describe("ipv6: targets", () => {
  it("list bracketed addresses, with port 443 when none is given", () => {
    expect(addrs("ipv6:[::1]:50051,[::1]", 6)).toEqual([["[::1]:50051"], ["[::1]:443"]]);
  });

  it("accept a bare address without a port", () => {
    expect(addrs("ipv6:fe80::1", 6)).toEqual([["[fe80::1]:443"]]);
  });

  it("reject an IPv4 address", () => {
    expect(() => addrs("ipv6:127.0.0.1:80", 6)).toThrow(/is not an IPv6 address/);
  });

  it("reject a missing bracket", () => {
    expect(() => addrs("ipv6:[::1:80", 6)).toThrow(/missing "]"/);
  });
});

describe("the ipv4 and ipv6 resolvers in a channel", () => {
  const transport = createInMemoryTransport();
  let server: Server | undefined;
  let channel: Channel | undefined;
  afterEach(() => {
    channel?.close();
    server?.forceShutdown();
  });

  it("are registered by default", () => {
    expect(resolverRegistry.has("ipv4")).toBe(true);
    expect(resolverRegistry.has("ipv6")).toBe(true);
  });

  it("route a call to a listed address", async () => {
    server = createServer({ transport });
    server.addService(EchoService, echoImpl());
    await server.listen("127.0.0.1:7001");
    channel = createChannel("ipv4:127.0.0.1:7001", { transport });
    const reply = await createClient(EchoService, channel).echo({ message: "v4" });
    expect(reply.message).toBe("v4");
  });

  it("fail calls with UNAVAILABLE naming an invalid address", async () => {
    channel = createChannel("ipv4:not-an-ip", { transport });
    const err = await failure(createClient(EchoService, channel).echo({}));
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toContain('"not-an-ip" is not an IPv4 address');
  });
});
