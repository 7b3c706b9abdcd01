import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, GrpcError } from "../src/index.js";
import { ErrorInfoSchema } from "../src/error-details.js";
import { connectCodeName, connectContentType, connectHttpStatus, connectResponseType, grpcTimeoutFromConnect } from "../src/server/connect-protocol.js";
import { connectErrorJson, encodeEndStream, metadataEntries } from "../src/server/connect-error.js";

describe("connectContentType", () => {
  it("reads unary and streaming content types, ignoring parameters and case", () => {
    expect(connectContentType("application/proto")).toEqual({ codecName: "proto", streaming: false, responseType: "application/proto" });
    expect(connectContentType("application/json; charset=utf-8")).toEqual({ codecName: "json", streaming: false, responseType: "application/json" });
    expect(connectContentType("Application/Connect+JSON")).toEqual({ codecName: "json", streaming: true, responseType: "application/connect+json" });
    expect(connectContentType("application/connect+proto")?.streaming).toBe(true);
  });

  it("is undefined for what cannot be Connect's", () => {
    for (const ct of ["", "text/plain", "application/", "application/connect+", "application/grpc+proto/x", "application/a+b"]) {
      expect(connectContentType(ct)).toBeUndefined();
    }
  });

  it("names the response type of each kind", () => {
    expect(connectResponseType("proto", false)).toBe("application/proto");
    expect(connectResponseType("json", true)).toBe("application/connect+json");
  });
});

describe("grpcTimeoutFromConnect", () => {
  it("writes up to 8 digits of milliseconds as they are, and longer ones in whole seconds rounded up", () => {
    expect(grpcTimeoutFromConnect("0")).toBe("0m");
    expect(grpcTimeoutFromConnect("1500")).toBe("1500m");
    expect(grpcTimeoutFromConnect("99999999")).toBe("99999999m");
    expect(grpcTimeoutFromConnect("100000001")).toBe("100001S");
    expect(grpcTimeoutFromConnect("9999999999")).toBe("10000000S");
  });

  it("refuses what is not 1 to 10 digits", () => {
    for (const v of ["", "-1", "1.5", "1e3", " 10", "12345678901", "soon"]) expect(grpcTimeoutFromConnect(v)).toBeUndefined();
  });
});

describe("Connect codes", () => {
  it("names every code as Connect spells it and maps it to the spec's HTTP status", () => {
    const table: [Code, string, number][] = [
      [Code.CANCELLED, "canceled", 499],
      [Code.UNKNOWN, "unknown", 500],
      [Code.INVALID_ARGUMENT, "invalid_argument", 400],
      [Code.DEADLINE_EXCEEDED, "deadline_exceeded", 504],
      [Code.NOT_FOUND, "not_found", 404],
      [Code.ALREADY_EXISTS, "already_exists", 409],
      [Code.PERMISSION_DENIED, "permission_denied", 403],
      [Code.RESOURCE_EXHAUSTED, "resource_exhausted", 429],
      [Code.FAILED_PRECONDITION, "failed_precondition", 400],
      [Code.ABORTED, "aborted", 409],
      [Code.OUT_OF_RANGE, "out_of_range", 400],
      [Code.UNIMPLEMENTED, "unimplemented", 501],
      [Code.INTERNAL, "internal", 500],
      [Code.UNAVAILABLE, "unavailable", 503],
      [Code.DATA_LOSS, "data_loss", 500],
      [Code.UNAUTHENTICATED, "unauthenticated", 401],
    ];
    for (const [code, name, status] of table) {
      expect(connectCodeName(code)).toBe(name);
      expect(connectHttpStatus(code)).toBe(status);
    }
    expect(connectCodeName(99 as Code)).toBe("unknown");
    expect(connectHttpStatus(99 as Code)).toBe(500);
  });
});

describe("connectErrorJson", () => {
  it("carries the code's name, the message and each detail's type and unpadded base64 value", () => {
    const info = create(ErrorInfoSchema, { reason: "R" });
    const error = new GrpcError(Code.NOT_FOUND, "no such key", { details: [anyPack(ErrorInfoSchema, info)] });
    const json = connectErrorJson(error);
    expect(json.code).toBe("not_found");
    expect(json.message).toBe("no such key");
    expect(json.details).toHaveLength(1);
    expect(json.details![0].type).toBe("google.rpc.ErrorInfo");
    expect(json.details![0].value).not.toMatch(/=$/);
    expect(Buffer.from(json.details![0].value, "base64")).toEqual(Buffer.from(anyPack(ErrorInfoSchema, info).value));
  });

  it("leaves out an empty message and absent details", () => {
    expect(connectErrorJson(new GrpcError(Code.INTERNAL))).toEqual({ code: "internal" });
  });
});

describe("encodeEndStream", () => {
  it("frames the error and trailing metadata as JSON behind a 0x02-flagged prefix", () => {
    const frame = Buffer.from(encodeEndStream(new GrpcError(Code.ABORTED, "stop"), [["x-a", "1"], ["x-b", ["2", "3"]]]));
    expect(frame[0]).toBe(0x02);
    expect(frame.readUInt32BE(1)).toBe(frame.byteLength - 5);
    expect(JSON.parse(frame.subarray(5).toString("utf8"))).toEqual({ error: { code: "aborted", message: "stop" }, metadata: { "x-a": ["1"], "x-b": ["2", "3"] } });
  });

  it("is an empty object for a call that ended OK with no trailing metadata", () => {
    expect(Buffer.from(encodeEndStream(undefined, [])).subarray(5).toString()).toBe("{}");
  });
});

describe("metadataEntries", () => {
  it("keeps custom metadata and leaves out pseudo-headers and gRPC's own fields", () => {
    const entries = metadataEntries({
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-status": "0",
      "grpc-message": "x",
      "grpc-encoding": "gzip",
      "grpc-accept-encoding": "gzip",
      "grpc-status-details-bin": "AA",
      "x-one": "1",
      "x-many": ["a", "b"],
      "x-data-bin": "AAE",
    });
    expect(entries).toEqual([
      ["x-one", "1"],
      ["x-many", ["a", "b"]],
      ["x-data-bin", "AAE"],
    ]);
  });
});
