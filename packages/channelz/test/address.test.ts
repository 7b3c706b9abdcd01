/** Recorded address strings as channelz Address messages. */
import { describe, expect, it } from "vitest";
import { addressMessage, parseIPv6 } from "../src/address.js";

describe("addressMessage", () => {
  it('turns "127.0.0.1:50051" into a 4-byte TcpIpAddress with its port', () => {
    expect(addressMessage("127.0.0.1:50051")).toEqual({
      address: { case: "tcpipAddress", value: { ipAddress: new Uint8Array([127, 0, 0, 1]), port: 50051 } },
    });
  });

  it('turns "[::1]:443" into a 16-byte TcpIpAddress with its port', () => {
    const ip = new Uint8Array(16);
    ip[15] = 1;
    expect(addressMessage("[::1]:443")).toEqual({ address: { case: "tcpipAddress", value: { ipAddress: ip, port: 443 } } });
  });

  it("reads full, compressed and IPv4-mapped IPv6 forms", () => {
    expect([...parseIPv6("2001:db8:0:0:0:0:0:ff01")!]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x01]);
    expect([...parseIPv6("2001:db8::ff01")!]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x01]);
    expect([...parseIPv6("::ffff:10.1.2.3")!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
    expect([...parseIPv6("fe80::1%eth0")!]).toEqual([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it("gives port -1 for an IP address without a port", () => {
    expect(addressMessage("10.0.0.7")).toEqual({
      address: { case: "tcpipAddress", value: { ipAddress: new Uint8Array([10, 0, 0, 7]), port: -1 } },
    });
  });

  it("turns unix socket paths into a UdsAddress", () => {
    expect(addressMessage("unix:/run/app.sock")).toEqual({ address: { case: "udsAddress", value: { filename: "/run/app.sock" } } });
    expect(addressMessage("unix:///run/app.sock")).toEqual({ address: { case: "udsAddress", value: { filename: "/run/app.sock" } } });
    expect(addressMessage("/run/app.sock")).toEqual({ address: { case: "udsAddress", value: { filename: "/run/app.sock" } } });
  });

  it("keeps anything else, host names and malformed addresses included, as an OtherAddress named by the string", () => {
    for (const s of ["localhost:50051", "in-memory-1", "300.1.1.1:80", "1.2.3.4:99999", "[::1", "1:2:3:4:5:6:7:8:9"]) {
      expect(addressMessage(s)).toEqual({ address: { case: "otherAddress", value: { name: s } } });
    }
  });
});
