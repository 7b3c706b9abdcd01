import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HpackDecoder } from "../src/hpack-decoder.js";
import { HpackEncoder } from "../src/hpack-encoder.js";
import { HpackError, type HpackErrorKind } from "../src/hpack-error.js";

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

/** A literal field with incremental indexing and a new name, without Huffman. */
function literalIndexed(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.of(0x40), rawString(name), rawString(value)]);
}

function rawString(s: string): Buffer {
  const bytes = Buffer.from(s, "latin1");
  return Buffer.concat([integer(7, 0, bytes.byteLength), bytes]);
}

function integer(prefixBits: number, flags: number, value: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.of(flags | value);
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

function errorOf(decoder: HpackDecoder, block: Buffer): HpackErrorKind {
  try {
    decoder.decode(block);
  } catch (err) {
    expect(err).toBeInstanceOf(HpackError);
    return (err as HpackError).kind;
  }
  throw new Error("the block decoded");
}

describe("HpackDecoder: malformed blocks", () => {
  it.each<[string, string, HpackErrorKind]>([
    ["index 0", "80", "invalid-index"],
    ["an index past the static table with an empty dynamic table", "be", "invalid-index"],
    ["a literal name index past the tables", "7f00 00", "invalid-index"],
    ["a string longer than the block", "400a 6375 7374", "truncated"],
    ["a block ending inside an integer", "ff80", "truncated"],
    ["a literal missing its value", "04", "truncated"],
    ["an integer above 2^31 - 1", "ff ff ff ff ff 0f", "integer-overflow"],
    ["an integer padded with six continuation bytes", "ff 80 80 80 80 80 00", "integer-overflow"],
    ["a size update after a field", "82 20", "invalid-table-size-update"],
    ["a size update above our SETTINGS_HEADER_TABLE_SIZE", "3fe21f", "invalid-table-size-update"],
  ])("%s is an HpackError (%s)", (_, block, kind) => {
    expect(errorOf(new HpackDecoder(), hex(block))).toBe(kind);
  });

  it("after an error the decoder refuses every later block: the connection must end", () => {
    const decoder = new HpackDecoder();
    expect(errorOf(decoder, hex("80"))).toBe("invalid-index");
    expect(errorOf(decoder, hex("82"))).toBe("decoder-failed");
  });

  it("several size updates at the start of a block are accepted, the last one applies", () => {
    const decoder = new HpackDecoder();
    decoder.decode(literalIndexed("x-a", "1"));
    expect(decoder.decode(Buffer.concat([hex("20 3f e1 01"), hex("82")]))).toEqual([":method", "GET"]);
    expect(decoder.tableSize).toBe(0);
    decoder.decode(literalIndexed("x-b", "2"));
    expect(decoder.tableEntries()).toEqual([["x-b", "2"]]);
  });

  it("after we lower SETTINGS_HEADER_TABLE_SIZE, a block without a size update is an error", () => {
    const decoder = new HpackDecoder();
    decoder.setMaxTableSize(100);
    expect(errorOf(decoder, hex("82"))).toBe("invalid-table-size-update");
  });

  it("after we lower SETTINGS_HEADER_TABLE_SIZE, the peer's size update evicts entries", () => {
    const decoder = new HpackDecoder();
    decoder.decode(Buffer.concat([literalIndexed("x-first", "a".repeat(60)), literalIndexed("x-second", "b")]));
    decoder.setMaxTableSize(64);
    expect(errorOf(new HpackDecoder({ maxTableSize: 64 }), Buffer.concat([hex("3f22"), hex("82")]))).toBe("invalid-table-size-update");
    expect(decoder.decode(Buffer.concat([integer(5, 0x20, 64), hex("be")]))).toEqual(["x-second", "b"]);
    expect(decoder.tableEntries()).toEqual([["x-second", "b"]]);
  });

  it("a table size of 0 from the start requires the peer's update on the first block", () => {
    const decoder = new HpackDecoder({ maxTableSize: 0 });
    expect(errorOf(decoder, hex("82"))).toBe("invalid-table-size-update");
    const ok = new HpackDecoder({ maxTableSize: 0 });
    expect(ok.decode(hex("20 82"))).toEqual([":method", "GET"]);
    expect(ok.decode(literalIndexed("x-a", "1"))).toEqual(["x-a", "1"]);
    expect(ok.tableSize).toBe(0);
  });
});

describe("HpackDecoder: field names", () => {
  it("an uppercase name is delivered and flagged invalid-name; the table stays usable", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(Buffer.concat([hex("82"), literalIndexed("X-Custom", "v")]))).toEqual([":method", "GET", "X-Custom", "v"]);
    expect(decoder.fault).toBe("invalid-name");
    expect(decoder.decode(hex("82"))).toEqual([":method", "GET"]);
    expect(decoder.fault).toBeUndefined();
    // A later block that refers to the uppercase entry is flagged as well.
    expect(decoder.decode(hex("be"))).toEqual(["X-Custom", "v"]);
    expect(decoder.fault).toBe("invalid-name");
  });

  it.each([["x custom"], ["x\u00e9"], [""], ["x\u007f"]])("the name %j is flagged invalid-name", (name) => {
    const decoder = new HpackDecoder();
    decoder.decode(literalIndexed(name, "v"));
    expect(decoder.fault).toBe("invalid-name");
  });

  it("lowercase names, digits and pseudo-headers are not flagged", () => {
    const decoder = new HpackDecoder();
    decoder.decode(Buffer.concat([literalIndexed("grpc-status", "0"), literalIndexed(":path", "/a.B/C"), literalIndexed("x_1.2", "v")]));
    expect(decoder.fault).toBeUndefined();
  });
});

describe("HpackDecoder: SETTINGS_MAX_HEADER_LIST_SIZE", () => {
  it("fields past the limit are not delivered, and the table still follows the peer's", () => {
    // Each field counts name + value + 32: 4 fields of 40 bytes fit in 160.
    const decoder = new HpackDecoder({ maxHeaderListSize: 160 });
    const fields = ["x-1", "x-2", "x-3", "x-4", "x-5", "x-6"].map((n) => literalIndexed(n, "abcde"));
    const delivered = decoder.decode(Buffer.concat([...fields, hex("040c 2f73 616d 706c 652f 7061 7468")]));
    expect(delivered).toEqual(["x-1", "abcde", "x-2", "abcde", "x-3", "abcde", "x-4", "abcde"]);
    expect(decoder.fault).toBe("header-list-too-large");
    expect(decoder.tableEntries().map(([name]) => name)).toEqual(["x-6", "x-5", "x-4", "x-3", "x-2", "x-1"]);
    // The next block is read against the same table: index 62 is x-6.
    expect(decoder.decode(hex("be"))).toEqual(["x-6", "abcde"]);
    expect(decoder.fault).toBeUndefined();
  });

  it("a bomb (a 4 KiB value inserted once, then referenced 10,000 times) stops at the limit", () => {
    const decoder = new HpackDecoder({ maxTableSize: 8192, maxHeaderListSize: 65_536 });
    const block = Buffer.concat([integer(5, 0x20, 8192), literalIndexed("x-bomb", "a".repeat(4096)), Buffer.alloc(10_000, 0xbe)]);
    expect(block.byteLength).toBeLessThan(15_000);
    let calls = 0;
    decoder.decodeEach(block, () => calls++);
    // 4134 bytes per field: 15 fit in 64 KiB, the 16th crosses the limit.
    expect(calls).toBe(15);
    expect(decoder.fault).toBe("header-list-too-large");
    expect(decoder.decode(block).length).toBe(30);
  });

  it("the limit can be raised between blocks", () => {
    const decoder = new HpackDecoder({ maxHeaderListSize: 10 });
    decoder.decode(hex("82"));
    expect(decoder.fault).toBe("header-list-too-large");
    decoder.maxHeaderListSize = 1000;
    expect(decoder.decode(hex("82"))).toEqual([":method", "GET"]);
  });
});

describe("HpackDecoder: arbitrary input", () => {
  it("arbitrary bytes either decode or throw an HpackError, never anything else", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 8192 }), (blocks, tableSize) => {
        const decoder = new HpackDecoder({ maxTableSize: tableSize, maxHeaderListSize: 4096 });
        for (const block of blocks) {
          try {
            const fields = decoder.decode(block);
            expect(fields.length % 2).toBe(0);
            for (const s of fields) expect(typeof s).toBe("string");
          } catch (err) {
            if (!(err instanceof HpackError)) throw err;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("valid blocks with random bytes spliced in never throw anything but HpackError", () => {
    const encoder = new HpackEncoder();
    const block = Buffer.from(encoder.encode([[":path", "/pkg.Service/Method"], ["grpc-timeout", "1S"], ["x-bin", "\x00\x01\xff"]]));
    fc.assert(
      fc.property(fc.nat({ max: block.byteLength }), fc.uint8Array({ maxLength: 8 }), (at, noise) => {
        const mutated = Buffer.concat([block.subarray(0, at), noise, block.subarray(at)]);
        try {
          new HpackDecoder().decode(mutated);
        } catch (err) {
          if (!(err instanceof HpackError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
