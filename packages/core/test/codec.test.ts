import { create, createRegistry } from "@bufbuild/protobuf";
import { anyPack, StringValueSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { contentTypeCodecName, createJsonCodec, jsonCodec, protoCodec } from "../src/wire/codec.js";
import { StatusSchema } from "../src/gen/google/rpc/status_pb.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("protoCodec", () => {
  it("is named proto", () => {
    expect(protoCodec.name).toBe("proto");
  });

  it("encodes the protobuf binary format and decodes it back", () => {
    const message = create(StatusSchema, { code: 5, message: "x" });
    const bytes = protoCodec.encode(StatusSchema, message);
    expect(Array.from(bytes)).toEqual([0x08, 0x05, 0x12, 0x01, 0x78]);
    const back = protoCodec.decode(StatusSchema, bytes);
    expect(back.code).toBe(5);
    expect(back.message).toBe("x");
  });

  it("decodes a view into a larger buffer by its own bytes", () => {
    const backing = new Uint8Array([0xff, 0x08, 0x07, 0xff]);
    expect(protoCodec.decode(StatusSchema, backing.subarray(1, 3)).code).toBe(7);
  });

  it("throws on bytes that are not the message", () => {
    expect(() => protoCodec.decode(StatusSchema, new Uint8Array([0x12, 0x05, 0x41]))).toThrow();
  });
});

describe("jsonCodec", () => {
  it("is named json", () => {
    expect(jsonCodec.name).toBe("json");
  });

  it("encodes proto3 JSON as UTF-8", () => {
    const bytes = jsonCodec.encode(StatusSchema, create(StatusSchema, { code: 3, message: "naïve" }));
    expect(JSON.parse(text(bytes))).toEqual({ code: 3, message: "naïve" });
  });

  it("decodes proto3 JSON", () => {
    const back = jsonCodec.decode(StatusSchema, utf8('{"code":9,"message":"ünïcode"}'));
    expect(back.code).toBe(9);
    expect(back.message).toBe("ünïcode");
  });

  it("ignores unknown fields when reading", () => {
    expect(jsonCodec.decode(StatusSchema, utf8('{"code":1,"somethingNew":true}')).code).toBe(1);
  });

  it("rejects unknown fields when asked to", () => {
    const strict = createJsonCodec({ ignoreUnknownFields: false });
    expect(() => strict.decode(StatusSchema, utf8('{"code":1,"somethingNew":true}'))).toThrow();
  });

  it("throws on text that is not JSON", () => {
    expect(() => jsonCodec.decode(StatusSchema, utf8("{nope"))).toThrow();
  });

  it("reads and writes google.protobuf.Any with a registry", () => {
    const codec = createJsonCodec({ registry: createRegistry(StringValueSchema) });
    const message = create(StatusSchema, { details: [anyPack(StringValueSchema, create(StringValueSchema, { value: "v" }))] });
    const json = JSON.parse(text(codec.encode(StatusSchema, message)));
    expect(json).toEqual({ details: [{ "@type": "type.googleapis.com/google.protobuf.StringValue", value: "v" }] });
    expect(codec.decode(StatusSchema, utf8(JSON.stringify(json))).details).toHaveLength(1);
  });

  it("writes with the given options", () => {
    const codec = createJsonCodec({ alwaysEmitImplicit: true });
    expect(JSON.parse(text(codec.encode(StatusSchema, create(StatusSchema))))).toEqual({ code: 0, message: "", details: [] });
  });
});

describe("contentTypeCodecName", () => {
  it.each([
    ["application/grpc", "proto"],
    ["application/grpc+proto", "proto"],
    ["application/grpc+json", "json"],
    ["application/grpc+cbor", "cbor"],
    ["application/grpc; charset=utf-8", "proto"],
    ["application/grpc+json;charset=utf-8", "json"],
    ["application/grpc+json ; x=1", "json"],
    ["Application/GRPC+JSON", "json"],
  ])("reads %s as %s", (contentType, name) => {
    expect(contentTypeCodecName(contentType)).toBe(name);
  });

  it.each(["", "application/json", "text/plain", "application/grpc-web", "application/grpc-web+proto", "application/grpcx", "application/grpc+"])(
    "reads %j as not gRPC",
    (contentType) => {
      expect(contentTypeCodecName(contentType)).toBeUndefined();
    },
  );
});
