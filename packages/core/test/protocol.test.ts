import { describe, expect, it } from "vitest";
import { Code, Metadata } from "../src/index.js";
import { readStatus, sharedResponseHeaders } from "../src/wire/protocol.js";
import { sharedHeaders } from "../src/transport/transport.js";

describe("reading grpc-status", () => {
  it("takes decimal digits only", () => {
    expect(readStatus({ "grpc-status": "0" }, new Metadata())).toBeUndefined();
    expect(readStatus({ "grpc-status": "14", "grpc-message": "down" }, new Metadata())?.code).toBe(Code.UNAVAILABLE);
    for (const bad of ["0x0", " 0", "-0", "1e1", "", "OK"]) {
      const err = readStatus({ "grpc-status": bad }, new Metadata());
      expect(err?.code, bad).toBe(Code.UNKNOWN);
      expect(err?.rawMessage).toBe(`server sent an invalid grpc-status "${bad}"`);
    }
  });
});

describe("shared response headers", () => {
  it("are one object per content type, marked for transports to cache, with :status 200", () => {
    const a = sharedResponseHeaders("application/grpc");
    expect(sharedResponseHeaders("application/grpc")).toBe(a);
    expect(sharedResponseHeaders("application/grpc+json")).not.toBe(a);
    expect(a).toEqual({ ":status": 200, "content-type": "application/grpc" });
    expect((a as Record<symbol, unknown>)[sharedHeaders]).toBe(true);
    expect(Object.keys(a)).toEqual([":status", "content-type"]);
  });
});
