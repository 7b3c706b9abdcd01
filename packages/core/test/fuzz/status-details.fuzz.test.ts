import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, StringValueSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Code } from "../../src/status/code.js";
import { StatusSchema } from "../../src/gen/google/rpc/status_pb.js";
import { GrpcError } from "../../src/status/grpc-error.js";
import { readTrailers, writeStatus } from "../../src/wire/protocol.js";
import { decodeStatusDetails } from "../../src/status/status-details.js";
import type { Http2Headers } from "../../src/transport/transport.js";

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Bytes that are sometimes a real google.rpc.Status (whole, cut short or with junk appended) and often not. */
const detailsBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .record({ code: fc.integer(), message: fc.string({ unit: "binary", maxLength: 10 }), value: fc.string({ maxLength: 10 }), typeUrl: fc.string({ maxLength: 20 }) })
    .map(({ code, message, value, typeUrl }) => {
      const detail = anyPack(StringValueSchema, create(StringValueSchema, { value }));
      if (typeUrl !== "") detail.typeUrl = typeUrl;
      return toBinary(StatusSchema, create(StatusSchema, { code, message, details: [detail] }));
    }),
).chain((bytes) =>
  fc.oneof(
    fc.constant(bytes),
    fc.nat({ max: bytes.byteLength }).map((n) => bytes.subarray(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => Buffer.concat([bytes, tail])),
  ),
);

/** grpc-status-details-bin as a peer might send it: base64 of those bytes, padded or not, or not base64 at all. */
const detailsHeader = fc.oneof(
  detailsBytes.map(base64),
  detailsBytes.map((b) => base64(b).replace(/=+$/, "")),
  fc.string({ unit: "binary", maxLength: 20 }),
);

const statusHeader = fc.oneof(fc.integer({ min: -2, max: 20 }).map(String), fc.constantFrom("", " ", "abc", "1.5", "0x5", "1e1", "99999999999999999999"), fc.string({ maxLength: 4 }));

describe("grpc-status-details-bin under hostile input", () => {
  it("decodeStatusDetails of any bytes returns a status or undefined, never throws", () => {
    fc.assert(
      fc.property(detailsBytes, (bytes) => {
        const decoded = decodeStatusDetails(bytes);
        if (decoded !== undefined) {
          expect(Number.isInteger(decoded.code)).toBe(true);
          expect(Array.isArray(decoded.details)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("readTrailers with any grpc-status, grpc-message and grpc-status-details-bin returns a status and never throws", () => {
    fc.assert(
      fc.property(statusHeader, fc.string({ unit: "binary", maxLength: 20 }), detailsHeader, (status, message, details) => {
        const headers: Http2Headers = { "grpc-status": status, "grpc-message": message, "grpc-status-details-bin": details };
        const { error, trailer } = readTrailers(headers);
        expect(trailer.has("grpc-status-details-bin")).toBe(false);
        if (error !== undefined) {
          expect(error).toBeInstanceOf(GrpcError);
          expect(Code[error.code]).toBeDefined();
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("details written by writeStatus are read back by readTrailers with the same code, message and details", () => {
    const failing = fc.integer({ min: 1, max: 16 }) as fc.Arbitrary<Code>;
    fc.assert(
      fc.property(failing, fc.string({ unit: "binary", maxLength: 20 }), fc.array(fc.string({ maxLength: 10 }), { minLength: 1, maxLength: 3 }), (code, message, values) => {
        const details = values.map((value) => anyPack(StringValueSchema, create(StringValueSchema, { value })));
        const headers: Http2Headers = {};
        writeStatus(headers, new GrpcError(code, message, { details }), undefined);
        const { error } = readTrailers(headers);
        expect(error?.code).toBe(code);
        expect(error?.rawMessage).toBe(message.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));
        const plain = (list: readonly { typeUrl: string; value: Uint8Array }[]) => list.map((d) => [d.typeUrl, Array.from(d.value)]);
        expect(plain(error?.details ?? [])).toEqual(plain(details));
      }),
      { numRuns: 1000 },
    );
  });
});
