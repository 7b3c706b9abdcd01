import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Code } from "../../src/status/code.js";
import { GrpcError } from "../../src/status/grpc-error.js";
import { Metadata, type MetadataValue } from "../../src/metadata/metadata.js";
import { headersToMetadata, metadataToHeaders } from "../../src/wire/metadata-headers.js";
import type { Http2Headers } from "../../src/transport/transport.js";

const keyChars = "abcdefghijklmnopqrstuvwxyz0123456789-_.";

/** Keys a peer might send: valid ones, "-bin" ones, reserved ones, pseudo-headers and junk. */
const anyKey = fc.oneof(
  fc.string({ unit: fc.constantFrom(...keyChars), minLength: 1, maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(...keyChars), maxLength: 8 }).map((k) => `${k}-bin`),
  fc.constantFrom(":path", ":status", "content-type", "te", "grpc-status", "grpc-status-details-bin", "grpc-timeout", "__proto__", "constructor", "-bin", ""),
  fc.string({ unit: "binary", maxLength: 10 }),
);

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Values for "-bin" keys: real base64 (padded or not, comma-joined), near-base64 and junk. */
const binText = fc.oneof(
  fc.base64String({ maxLength: 24 }),
  fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString("base64").replace(/=+$/, "")),
  fc.array(fc.base64String({ maxLength: 12 }), { minLength: 2, maxLength: 4 }).map((parts) => parts.join(", ")),
  fc.string({ unit: fc.constantFrom(...base64Alphabet, "=", ",", " ", "-", "_", "\n", "%"), maxLength: 16 }),
  fc.string({ unit: "binary", maxLength: 16 }),
);

const headerValue: fc.Arbitrary<Http2Headers[string]> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 16 }),
  binText,
  fc.array(fc.oneof(binText, fc.string({ maxLength: 8 })), { maxLength: 4 }),
  fc.integer(),
  fc.constant(undefined),
);

const hostileHeaders = fc.array(fc.tuple(anyKey, headerValue), { maxLength: 10 }).map((pairs) => {
  const headers: Http2Headers = {};
  for (const [k, v] of pairs) Object.defineProperty(headers, k, { value: v, enumerable: true, writable: true, configurable: true });
  return headers;
});

/** Keys a user's metadata can carry across the wire (not reserved by HTTP/2 or gRPC). */
const userKey = fc
  .string({ unit: fc.constantFrom(...keyChars), minLength: 1, maxLength: 12 })
  .filter((k) => !k.startsWith("grpc-") && !["content-type", "content-length", "te", "host", "connection", "transfer-encoding", "keep-alive", "upgrade", "proxy-connection"].includes(k));

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 20 });

/** One key and its 1 to 3 values: text for plain keys, arbitrary bytes for "-bin" keys. */
const entry = fc.oneof(
  fc.tuple(userKey.filter((k) => !k.endsWith("-bin")), fc.array(printable, { minLength: 1, maxLength: 3 })),
  fc.tuple(userKey.map((k) => (k.endsWith("-bin") ? k : `${k}-bin`)), fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 3 })),
);

function normalize(values: MetadataValue[]): (string | number[])[] {
  return values.map((v) => (typeof v === "string" ? v : Array.from(v)));
}

describe("metadata under hostile headers", () => {
  it("headersToMetadata of any header block returns Metadata or throws GrpcError(INTERNAL), never another error", () => {
    fc.assert(
      fc.property(hostileHeaders, (headers) => {
        let md: Metadata;
        try {
          md = headersToMetadata(headers);
        } catch (e) {
          expect(e).toBeInstanceOf(GrpcError);
          expect((e as GrpcError).code).toBe(Code.INTERNAL);
          return;
        }
        expect(md).toBeInstanceOf(Metadata);
        for (const key of md.keys()) {
          expect(key.startsWith(":")).toBe(false);
          for (const v of md.getAll(key)) expect(typeof v === "string" || v instanceof Uint8Array).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("valid metadata, binary values of any bytes and several values per key, survives metadataToHeaders then headersToMetadata", () => {
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: ([k]) => k, maxLength: 6 }), (entries) => {
        const sent = new Metadata();
        for (const [key, values] of entries) for (const v of values) sent.add(key, v);
        const headers: Http2Headers = {};
        metadataToHeaders(sent, headers);
        const received = headersToMetadata(headers);
        // Only the order of values within a key is kept: a header block orders integer-like names first.
        expect(received.keys().sort()).toEqual(sent.keys().sort());
        for (const key of sent.keys()) expect(normalize(received.getAll(key))).toEqual(normalize(sent.getAll(key)));
      }),
      { numRuns: 3000 },
    );
  });
});
