import { describe, expect, it } from "vitest";
import { Code } from "../src/status/code.js";
import { GrpcError } from "../src/status/grpc-error.js";
import { Metadata } from "../src/metadata/metadata.js";
import { headersToMetadata, metadataToHeaders } from "../src/wire/metadata-headers.js";
import type { Http2Headers } from "../src/transport/transport.js";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("Metadata", () => {
  it("keeps a \"__proto__\" key through metadataToHeaders and headersToMetadata", () => {
    const sent = new Metadata();
    sent.set("__proto__", "kept");
    const headers: Http2Headers = {};
    metadataToHeaders(sent, headers);
    expect(Object.keys(headers)).toContain("__proto__");
    expect(headersToMetadata(headers).get("__proto__")).toBe("kept");
  });

  it("treats keys case-insensitively and reports them lowercase", () => {
    const md = new Metadata();
    md.set("X-Request-ID", "42");
    expect(md.get("x-request-id")).toBe("42");
    expect(md.get("X-REQUEST-ID")).toBe("42");
    expect(md.has("x-Request-Id")).toBe(true);
    expect(md.keys()).toEqual(["x-request-id"]);
  });

  it("keeps several values of a key in the order they were added", () => {
    const md = new Metadata().add("x-tag", "a").add("X-Tag", "b").add("x-tag", "c");
    expect(md.get("x-tag")).toBe("a");
    expect(md.getAll("x-tag")).toEqual(["a", "b", "c"]);
    expect(md.size).toBe(1);
  });

  it("replaces every value on set", () => {
    const md = new Metadata().add("x-tag", "a").add("x-tag", "b");
    md.set("x-tag", "z");
    expect(md.getAll("x-tag")).toEqual(["z"]);
  });

  it("returns undefined and an empty list for a missing key", () => {
    const md = new Metadata();
    expect(md.get("nope")).toBeUndefined();
    expect(md.getAll("nope")).toEqual([]);
    expect(md.has("nope")).toBe(false);
  });

  it("hands out a copy from getAll", () => {
    const md = new Metadata().add("x-tag", "a").add("x-tag", "b");
    md.getAll("x-tag").push("c");
    expect(md.getAll("x-tag")).toEqual(["a", "b"]);
  });

  it("deletes a key with all its values", () => {
    const md = new Metadata().add("x-tag", "a").add("x-tag", "b").set("other", "1");
    expect(md.delete("X-TAG")).toBe(true);
    expect(md.delete("x-tag")).toBe(false);
    expect(md.has("x-tag")).toBe(false);
    expect(md.size).toBe(1);
  });

  it("stores bytes for -bin keys", () => {
    const value = bytes(0, 1, 255);
    const md = new Metadata().set("trace-bin", value);
    expect(md.get("trace-bin")).toBe(value);
  });

  it("is built from a record of single values and lists", () => {
    const md = new Metadata({ "X-A": "1", "x-b": ["2", "3"], "x-c-bin": [bytes(1), bytes(2)] });
    expect(md.get("x-a")).toBe("1");
    expect(md.getAll("x-b")).toEqual(["2", "3"]);
    expect(md.getAll("x-c-bin")).toEqual([bytes(1), bytes(2)]);
    expect(md.size).toBe(3);
  });

  it("iterates every key/value pair, one per value", () => {
    const md = new Metadata({ "x-a": ["1", "2"], "x-b": "3" });
    expect(Array.from(md.entries())).toEqual([
      ["x-a", "1"],
      ["x-a", "2"],
      ["x-b", "3"],
    ]);
    expect(Array.from(md)).toEqual(Array.from(md.entries()));
  });

  it("clones into an independent copy", () => {
    const md = new Metadata({ "x-a": ["1", "2"] });
    const copy = md.clone();
    copy.add("x-a", "3").set("x-b", "new");
    expect(md.getAll("x-a")).toEqual(["1", "2"]);
    expect(md.has("x-b")).toBe(false);
    expect(copy.getAll("x-a")).toEqual(["1", "2", "3"]);
  });

  it("merges by adding the other's values after its own", () => {
    const md = new Metadata({ "x-a": "1" });
    md.merge(new Metadata({ "x-a": ["2", "3"], "x-b": "4" }));
    expect(md.getAll("x-a")).toEqual(["1", "2", "3"]);
    expect(md.get("x-b")).toBe("4");
  });

  it("renders as JSON with bytes in base64", () => {
    const md = new Metadata({ "x-a": "1", "x-b": ["2", "3"], "x-c-bin": bytes(0xfb, 0xff) });
    expect(md.toJSON()).toEqual({ "x-a": "1", "x-b": ["2", "3"], "x-c-bin": "+/8" });
    expect(JSON.stringify(md)).toBe('{"x-a":"1","x-b":["2","3"],"x-c-bin":"+/8"}');
  });

  describe("validation", () => {
    it("rejects a key with characters outside lowercase letters, digits, '-', '_' and '.'", () => {
      expect(() => new Metadata().set("Bad Key", "v")).toThrow(
        new TypeError(`metadata key "Bad Key" is invalid: keys are lowercase letters, digits, '-', '_' and '.'`),
      );
      expect(() => new Metadata().set("x/y", "v")).toThrow(TypeError);
      expect(() => new Metadata().set("", "v")).toThrow(TypeError);
      expect(() => new Metadata().add("caf\u00e9", "v")).toThrow(TypeError);
    });

    it("accepts digits, '_' and '.' in keys", () => {
      expect(new Metadata().set("a_b.c-1", "v").get("a_b.c-1")).toBe("v");
    });

    it("rejects pseudo-header keys", () => {
      expect(() => new Metadata().set(":path", "/x")).toThrow(/pseudo-headers/);
    });

    it("rejects values outside printable ASCII for text keys", () => {
      expect(() => new Metadata().set("x-a", "line\r\nbreak")).toThrow(/0x0d.*printable ASCII/);
      expect(() => new Metadata().set("x-a", "tab\there")).toThrow(TypeError);
      expect(() => new Metadata().set("x-a", "caf\u00e9")).toThrow(TypeError);
      expect(() => new Metadata().set("x-a", "\x7f")).toThrow(TypeError);
    });

    it("accepts every printable ASCII character, space included", () => {
      let all = "";
      for (let c = 0x20; c <= 0x7e; c++) all += String.fromCharCode(c);
      expect(new Metadata().set("x-a", all).get("x-a")).toBe(all);
      expect(new Metadata().set("x-a", "").get("x-a")).toBe("");
    });

    it("tells the caller to pass bytes to a -bin key", () => {
      expect(() => new Metadata().set("trace-bin", "AAE=" as unknown as Uint8Array)).toThrow(
        /metadata key "trace-bin" takes binary values: pass a Uint8Array/,
      );
    });

    it("rejects bytes for a text key", () => {
      expect(() => new Metadata().set("x-a", bytes(1))).toThrow(/only keys ending in "-bin" take bytes/);
    });

    it("validates the entries given to the constructor", () => {
      expect(() => new Metadata({ "bad key": "v" })).toThrow(TypeError);
    });
  });
});

describe("metadataToHeaders", () => {
  it("writes text values as they are and several values as an array", () => {
    const headers: Http2Headers = {};
    metadataToHeaders(new Metadata({ "x-a": "1", "x-b": ["2", "3"] }), headers);
    expect(headers).toEqual({ "x-a": "1", "x-b": ["2", "3"] });
  });

  it("writes -bin values as unpadded standard base64", () => {
    const headers: Http2Headers = {};
    const md = new Metadata()
      .add("x-bin", bytes(0xfb, 0xff))
      .add("x-bin", bytes(1, 2, 3))
      .set("y-bin", bytes(0))
      .set("z-bin", bytes());
    metadataToHeaders(md, headers);
    expect(headers).toEqual({ "x-bin": ["+/8", "AQID"], "y-bin": "AA", "z-bin": "" });
  });

  it("encodes a view into a larger buffer by its own bytes only", () => {
    const backing = bytes(9, 9, 1, 2, 9);
    const headers: Http2Headers = {};
    metadataToHeaders(new Metadata().set("x-bin", backing.subarray(2, 4)), headers);
    expect(headers["x-bin"]).toBe("AQI");
  });

  it("leaves out keys reserved by gRPC and HTTP/2 and keeps user-agent", () => {
    const md = new Metadata({
      "grpc-status": "0",
      "grpc-timeout": "1S",
      "grpc-custom": "x",
      "content-type": "text/plain",
      "content-length": "3",
      te: "gzip",
      host: "h",
      connection: "close",
      "transfer-encoding": "chunked",
      "keep-alive": "1",
      upgrade: "h2c",
      "proxy-connection": "x",
      "user-agent": "my-app/1.0",
      "x-ok": "yes",
    });
    const headers: Http2Headers = { ":path": "/svc/M" };
    metadataToHeaders(md, headers);
    expect(headers).toEqual({ ":path": "/svc/M", "user-agent": "my-app/1.0", "x-ok": "yes" });
  });
});

describe("headersToMetadata", () => {
  it("reads custom headers and skips pseudo-headers and protocol headers", () => {
    const md = headersToMetadata({
      ":path": "/svc/M",
      ":authority": "example.com",
      ":method": "POST",
      ":scheme": "http",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": "1S",
      "grpc-encoding": "gzip",
      "grpc-accept-encoding": "gzip,identity",
      "grpc-status": "0",
      "grpc-message": "hi",
      "grpc-status-details-bin": "CAU",
      "content-length": "0",
      "user-agent": "grpc-go/1.60",
      "x-request-id": "42",
    });
    expect(md.toJSON()).toEqual({ "user-agent": "grpc-go/1.60", "x-request-id": "42" });
  });

  it("keeps a value node:http2 joined with ', ' as one value", () => {
    const md = headersToMetadata({ "x-tag": "a, b" });
    expect(md.getAll("x-tag")).toEqual(["a, b"]);
  });

  it("reads an array value as several values", () => {
    const md = headersToMetadata({ "set-cookie": ["a=1", "b=2"] });
    expect(md.getAll("set-cookie")).toEqual(["a=1", "b=2"]);
  });

  it("reads a number value as text", () => {
    expect(headersToMetadata({ "x-n": 7 }).get("x-n")).toBe("7");
  });

  it("skips undefined entries", () => {
    expect(headersToMetadata({ "x-a": undefined }).has("x-a")).toBe(false);
  });

  it("decodes -bin values whether padded or not", () => {
    const md = headersToMetadata({ "a-bin": "AQID", "b-bin": "AQ==", "c-bin": "AQ", "d-bin": "AQI=", "e-bin": "AQI", "f-bin": "" });
    expect(md.get("a-bin")).toEqual(bytes(1, 2, 3));
    expect(md.get("b-bin")).toEqual(bytes(1));
    expect(md.get("c-bin")).toEqual(bytes(1));
    expect(md.get("d-bin")).toEqual(bytes(1, 2));
    expect(md.get("e-bin")).toEqual(bytes(1, 2));
    expect(md.get("f-bin")).toEqual(bytes());
  });

  it("splits a comma-separated -bin header into several values", () => {
    const md = headersToMetadata({ "x-bin": "AQ==, AgM,BA" });
    expect(md.getAll("x-bin")).toEqual([bytes(1), bytes(2, 3), bytes(4)]);
  });

  it("reads each element of an array -bin header", () => {
    const md = headersToMetadata({ "x-bin": ["AQ", "Ag,Aw"] });
    expect(md.getAll("x-bin")).toEqual([bytes(1), bytes(2), bytes(3)]);
  });

  it("throws INTERNAL for a -bin value that is not base64", () => {
    for (const bad of ["A", "not base64!", "AQ=", "AQ===", "A=QI", "-_8", "AQ==AQ=="]) {
      let caught: unknown;
      try {
        headersToMetadata({ "x-bin": bad });
      } catch (e) {
        caught = e;
      }
      expect(caught, bad).toBeInstanceOf(GrpcError);
      expect((caught as GrpcError).code).toBe(Code.INTERNAL);
      expect((caught as GrpcError).rawMessage).toBe('invalid base64 in metadata "x-bin"');
    }
  });

  it("round-trips with metadataToHeaders", () => {
    const md = new Metadata({
      "x-a": ["1", "two words"],
      "x-b-bin": [bytes(0, 255, 128), bytes()],
      "user-agent": "ua",
    });
    const headers: Http2Headers = {};
    metadataToHeaders(md, headers);
    expect(headersToMetadata(headers).toJSON()).toEqual(md.toJSON());
    expect(headersToMetadata(headers).getAll("x-b-bin")).toEqual([bytes(0, 255, 128), bytes()]);
  });
});
