import { describe, expect, it } from "vitest";
import { Metadata } from "@grpckit/core";
import { Address_Type } from "../src/index.js";
import { addressOf, loggedMessage, loggedMetadata } from "../src/log-entry.js";

describe("log entry parts", () => {
  it("an address is IPv4, IPv6 (without its zone) or a unix socket, and anything else is kept as TYPE_UNKNOWN", () => {
    expect(addressOf("127.0.0.1:50051")).toMatchObject({ type: Address_Type.IPV4, address: "127.0.0.1", ipPort: 50051 });
    expect(addressOf("[::1]:443")).toMatchObject({ type: Address_Type.IPV6, address: "::1", ipPort: 443 });
    expect(addressOf("[FE80::1%eth0]:8080")).toMatchObject({ type: Address_Type.IPV6, address: "fe80::1", ipPort: 8080 });
    expect(addressOf("unix:/run/app.sock")).toMatchObject({ type: Address_Type.UNIX, address: "/run/app.sock", ipPort: 0 });
    expect(addressOf("/run/app.sock")).toMatchObject({ type: Address_Type.UNIX, address: "/run/app.sock" });
    expect(addressOf("inmemory:x")).toMatchObject({ type: Address_Type.UNKNOWN, address: "inmemory:x" });
  });

  it("metadata leaves out gRPC's own keys but keeps grpc-trace-bin outside the limit, and -bin values as bytes", () => {
    const md = new Metadata();
    md.set("grpc-trace-bin", new Uint8Array(100));
    md.set("x-one", "1"); // 6 bytes
    md.set("x-two-bin", new Uint8Array([1, 2])); // 11 bytes: past a limit of 10
    md.set("x-three", "3");
    const { metadata, truncated } = loggedMetadata(md, 10);
    expect(metadata.entry.map((e) => [e.key, e.value.byteLength])).toEqual([
      ["grpc-trace-bin", 100],
      ["x-one", 1],
    ]);
    expect(truncated).toBe(true);
    expect(loggedMetadata(md, Infinity).metadata.entry.map((e) => e.key)).toEqual(["grpc-trace-bin", "x-one", "x-two-bin", "x-three"]);
    expect(loggedMetadata(md, Infinity).truncated).toBe(false);
  });

  it("a message keeps its full length and is cut to the limit", () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    expect(loggedMessage(5, () => data, 3)).toMatchObject({ message: { length: 5, data: new Uint8Array([1, 2, 3]) }, truncated: true });
    expect(loggedMessage(5, () => data, 5)).toMatchObject({ message: { length: 5, data }, truncated: false });
    expect(loggedMessage(0, () => new Uint8Array(0), 0)).toMatchObject({ message: { length: 0 }, truncated: false });
  });
});
