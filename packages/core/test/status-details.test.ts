import { create } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Code } from "../src/status/code.js";
import { decodeStatusDetails, encodeStatusDetails } from "../src/status/status-details.js";

describe("grpc-status-details-bin", () => {
  it("encodes google.rpc.Status with the field numbers of googleapis", () => {
    // field 1 (code, varint) = 5, field 2 (message, bytes) = "x"
    expect(Array.from(encodeStatusDetails(Code.NOT_FOUND, "x", []))).toEqual([0x08, 0x05, 0x12, 0x01, 0x78]);
  });

  it("round-trips code, message and typed details", () => {
    const detail = anyPack(StringValueSchema, create(StringValueSchema, { value: "quota" }));
    const decoded = decodeStatusDetails(encodeStatusDetails(Code.RESOURCE_EXHAUSTED, "slow down", [detail]));
    expect(decoded?.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(decoded?.message).toBe("slow down");
    expect(decoded?.details).toHaveLength(1);
    expect(anyUnpack(decoded!.details[0], StringValueSchema)?.value).toBe("quota");
  });

  it("keeps a code number outside the known codes as sent", () => {
    const bytes = new Uint8Array([0x08, 0x63]); // code = 99
    expect(decodeStatusDetails(bytes)?.code).toBe(99);
  });

  it("decodes empty bytes as an OK status with no details", () => {
    expect(decodeStatusDetails(new Uint8Array(0))).toEqual({ code: 0, message: "", details: [] });
  });

  it("returns undefined for bytes that are not a google.rpc.Status", () => {
    expect(decodeStatusDetails(new Uint8Array([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(decodeStatusDetails(new Uint8Array([0x12, 0x0a, 0x41]))).toBeUndefined(); // message length past the end
    expect(decodeStatusDetails(new Uint8Array([0x08]))).toBeUndefined(); // truncated varint
  });
});
