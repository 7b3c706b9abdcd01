import { describe, expect, it } from "vitest";
import { defaultTransportName, isTransportName, transportFor, transportNames, transportPackages } from "@grpckit/transport-choice";

describe("transport-choice", () => {
  it("names h2 and http2, with h2 the default", () => {
    expect(transportNames).toEqual(["h2", "http2"]);
    expect(defaultTransportName).toBe("h2");
    expect(transportFor().name).toBe("h2");
    expect(transportFor("http2").name).toBe("http2");
  });

  it("names the package each transport comes from", () => {
    expect(transportPackages).toEqual({ h2: "@grpckit/transport-h2", http2: "@grpckit/transport-http2" });
  });

  it("tells a known name from an unknown one, inherited object keys included", () => {
    expect(transportNames.every(isTransportName)).toBe(true);
    for (const name of ["", "H2", "quic", "toString", "__proto__"]) expect(isTransportName(name)).toBe(false);
    expect(() => transportFor("constructor")).toThrow('unknown transport "constructor" (known: h2, http2)');
  });

  it("makes a new builder on every call, so two tools' servers share no transport state", () => {
    expect(transportFor("h2")).not.toBe(transportFor("h2"));
  });
});
