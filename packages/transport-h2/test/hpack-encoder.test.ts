import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HpackDecoder } from "../src/hpack-decoder.js";
import { HpackEncoder } from "../src/hpack-encoder.js";

type Fields = [string, string][];

function roundTrip(encoder: HpackEncoder, decoder: HpackDecoder, fields: Fields): Buffer {
  const block = Buffer.from(encoder.encode(fields));
  expect(decoder.decode(block)).toEqual(fields.flat());
  return block;
}

const grpcRequest: Fields = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/helloworld.Greeter/SayHello"],
  [":authority", "127.0.0.1:50051"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
  ["grpc-accept-encoding", "identity,deflate,gzip"],
  ["user-agent", "grpckit/0.0.0"],
];

describe("HpackEncoder", () => {
  it("encodes a block without the dynamic table, which decodes the same whatever the table holds", () => {
    const encoder = new HpackEncoder();
    encoder.encode([["x-warm", "up"], ["content-type", "application/grpc+json"]]);
    const tableBefore = encoder.tableEntries();
    const fields: [string, string][] = [
      [":status", "200"],
      ["content-type", "application/grpc"],
      ["authorization", "secret"],
    ];
    const block = encoder.encodeStateless(fields);
    expect(encoder.tableEntries()).toEqual(tableBefore);
    expect(new HpackDecoder().decode(block)).toEqual(fields.flat());
    const busy = new HpackDecoder();
    busy.decode(new HpackEncoder().encode([["x-a", "1"], ["x-b", "2"], ["content-type", "application/grpc"]]));
    expect(busy.decode(block)).toEqual(fields.flat());
    expect(busy.tableEntries()).toHaveLength(3);
    // :status 200 is static index 8; authorization stays a never-indexed literal.
    expect(block[0]).toBe(0x88);
    expect(block.includes(0x10)).toBe(true);
  });

  it("a field in the static table is one byte", () => {
    const encoder = new HpackEncoder();
    expect(encoder.encode([[":method", "GET"], [":status", "200"], [":path", "/"]]).toString("hex")).toBe("828884");
  });

  it("a repeated gRPC request header list is sent as one byte per field", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const first = roundTrip(encoder, decoder, grpcRequest);
    const second = roundTrip(encoder, decoder, grpcRequest);
    expect(first.byteLength).toBeGreaterThan(60);
    expect(second.byteLength).toBe(grpcRequest.length);
    expect(encoder.tableEntries()).toEqual(decoder.tableEntries());
  });

  it("authorization is never indexed by default: sent literally every time and flagged sensitive", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const fields: Fields = [["authorization", "Bearer abc.def.ghi"]];
    const first = roundTrip(encoder, decoder, fields);
    const second = roundTrip(encoder, decoder, fields);
    // Never-indexed literal (0001xxxx) with the static name authorization (23 = 15 + 8).
    expect(first.subarray(0, 2).toString("hex")).toBe("1f08");
    expect(second).toEqual(first);
    expect(encoder.tableSize).toBe(0);
    const sensitive: boolean[] = [];
    decoder.decodeEach(second, (_, __, s) => sensitive.push(s));
    expect(sensitive).toEqual([true]);
  });

  it("the sensitive option replaces the default set", () => {
    const encoder = new HpackEncoder({ sensitive: ["x-api-key"] });
    encoder.encode([["authorization", "t"], ["x-api-key", "k"]]);
    expect(encoder.tableEntries()).toEqual([["authorization", "t"]]);
  });

  it("unindexed names are sent as literals without indexing, by their static or dynamic name index", () => {
    const encoder = new HpackEncoder({ unindexed: ["grpc-timeout", "content-length"] });
    const decoder = new HpackDecoder();
    const block = roundTrip(encoder, decoder, [["content-length", "12"], ["grpc-timeout", "99m"]]);
    // content-length is static 28: 0000 1111 + 13.
    expect(block.subarray(0, 2).toString("hex")).toBe("0f0d");
    expect(encoder.tableSize).toBe(0);
  });

  it("a field larger than half the table is not indexed", () => {
    const encoder = new HpackEncoder();
    encoder.encode([["x-big", "v".repeat(3000)]]);
    expect(encoder.tableSize).toBe(0);
    encoder.encode([["x-small", "v".repeat(100)]]);
    expect(encoder.tableSize).toBe(7 + 100 + 32);
  });

  it("a peer SETTINGS_HEADER_TABLE_SIZE of 0 empties the table and the next block starts with a size update to 0", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    roundTrip(encoder, decoder, grpcRequest);
    encoder.setPeerMaxTableSize(0);
    expect(encoder.tableSize).toBe(0);
    const block = roundTrip(encoder, decoder, grpcRequest);
    expect(block[0]).toBe(0x20);
    expect(decoder.tableSize).toBe(0);
    expect(roundTrip(encoder, decoder, grpcRequest)[0]).not.toBe(0x20);
  });

  it("several changes between blocks are announced as the smallest size, then the final one", () => {
    const encoder = new HpackEncoder();
    encoder.setPeerMaxTableSize(100);
    encoder.setPeerMaxTableSize(50);
    encoder.setPeerMaxTableSize(200);
    // 50 = 31 + 19 (3f 13), 200 = 31 + 169 (3f a9 01).
    expect(encoder.encode([]).toString("hex")).toBe("3f133fa901");
  });

  it("a peer size above maxTableSize keeps the table at maxTableSize", () => {
    const encoder = new HpackEncoder({ maxTableSize: 1024 });
    // The peer's decoder starts at 4096: the first block announces 1024 (3f e1 07).
    expect(encoder.encode([]).toString("hex")).toBe("3fe107");
    encoder.setPeerMaxTableSize(65_536);
    expect(encoder.encode([]).toString("hex")).toBe("");
  });

  it("encodeFlat and begin/field/end produce the same block as encode", () => {
    const a = Buffer.from(new HpackEncoder().encode(grpcRequest));
    const b = Buffer.from(new HpackEncoder().encodeFlat(grpcRequest.flat()));
    const encoder = new HpackEncoder();
    encoder.begin();
    for (const [name, value] of grpcRequest) encoder.field(name, value);
    expect(Buffer.from(encoder.end())).toEqual(a);
    expect(b).toEqual(a);
  });

  it("a 100 KiB value grows the buffer and decodes", () => {
    const encoder = new HpackEncoder();
    const value = "q".repeat(100 * 1024);
    roundTrip(encoder, new HpackDecoder({ maxHeaderListSize: 1 << 20 }), [["x-large", value]]);
  });

  it("strings keep encoding correctly as the string cache fills and evicts", () => {
    const encoder = new HpackEncoder({ maxTableSize: 0, stringCacheEntries: 4 });
    const decoder = new HpackDecoder({ maxTableSize: 0 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 10; i++) roundTrip(encoder, decoder, [[`x-key-${i}`, `value-${i}-${"z".repeat(i * 10)}`]]);
    }
    expect(decoder.tableSize).toBe(0);
  });

  it("without Huffman, strings are sent raw", () => {
    const encoder = new HpackEncoder({ huffman: false });
    const block = encoder.encode([["x-name", "value"]]);
    expect(block.toString("hex")).toBe("40" + "06" + Buffer.from("x-name").toString("hex") + "05" + Buffer.from("value").toString("hex"));
  });
});

const headerName = fc.oneof(
  fc.constantFrom(":method", ":path", ":authority", ":status", "content-type", "te", "grpc-timeout", "grpc-status", "authorization", "cookie", "user-agent", "date"),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
);
const byteString = fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString("latin1"));
const headerValue = fc.oneof(fc.constantFrom("", "GET", "POST", "200", "application/grpc", "trailers", "/"), byteString);
const headerList = fc.array(fc.tuple(headerName, headerValue), { maxLength: 12 });
const step = fc.oneof(
  { weight: 5, arbitrary: headerList.map((fields) => ({ fields })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 6000 }).map((tableSize) => ({ tableSize })) },
);

describe("HpackEncoder and HpackDecoder together", () => {
  it("arbitrary header lists round-trip across many blocks with table size changes", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), fc.boolean(), fc.integer({ min: 0, max: 8192 }), (steps, huffman, cap) => {
        const encoder = new HpackEncoder({ huffman, maxTableSize: cap, stringCacheEntries: 8 });
        const decoder = new HpackDecoder({ maxHeaderListSize: Number.MAX_SAFE_INTEGER });
        let advertised = 4096;
        for (const s of steps) {
          if ("tableSize" in s) {
            // We advertise a new SETTINGS_HEADER_TABLE_SIZE; the peer's encoder follows it.
            decoder.setMaxTableSize(s.tableSize);
            encoder.setPeerMaxTableSize(s.tableSize);
            advertised = s.tableSize;
            continue;
          }
          const block = encoder.encode(s.fields);
          const out = decoder.decode(block);
          expect(out).toEqual(s.fields.flat());
          expect(decoder.fault).toBeUndefined();
          expect(decoder.tableEntries()).toEqual(encoder.tableEntries());
          expect(decoder.tableSize).toBeLessThanOrEqual(Math.min(cap, advertised));
        }
      }),
      { numRuns: 300 },
    );
  });
});
