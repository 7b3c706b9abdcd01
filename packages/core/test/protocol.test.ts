import { describe, expect, it } from "vitest";
import { Code, Metadata } from "../src/index.js";
import { readStatus } from "../src/protocol.js";

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
