import { describe, expect, it } from "vitest";
import { HpackDecoder } from "../src/hpack-decoder.js";
import { HpackEncoder } from "../src/hpack-encoder.js";

// The examples of RFC 7541 Appendix C: header lists, their encoded blocks, and the
// dynamic table after each block (newest entry first).

type Fields = [string, string][];

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

function flat(fields: Fields): string[] {
  return fields.flat();
}

interface Step {
  fields: Fields;
  block: string;
  table: Fields;
  size: number;
}

const request1: Fields = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];
const request2: Fields = [...request1, ["cache-control", "no-cache"]];
const request3: Fields = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];
const requestTables: Fields[] = [
  [[":authority", "www.example.com"]],
  [
    ["cache-control", "no-cache"],
    [":authority", "www.example.com"],
  ],
  [
    ["custom-key", "custom-value"],
    ["cache-control", "no-cache"],
    [":authority", "www.example.com"],
  ],
];

const response1: Fields = [
  [":status", "302"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
  ["location", "https://www.example.com"],
];
const response2: Fields = [[":status", "307"], ...response1.slice(1)];
const response3: Fields = [
  [":status", "200"],
  ["cache-control", "private"],
  ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
  ["location", "https://www.example.com"],
  ["content-encoding", "gzip"],
  ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
];
const responseTables: Fields[] = [
  [
    ["location", "https://www.example.com"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["cache-control", "private"],
    [":status", "302"],
  ],
  [
    [":status", "307"],
    ["location", "https://www.example.com"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["cache-control", "private"],
  ],
  [
    ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
    ["content-encoding", "gzip"],
    ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
  ],
];

const c3: Step[] = [
  { fields: request1, block: "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", table: requestTables[0], size: 57 },
  { fields: request2, block: "8286 84be 5808 6e6f 2d63 6163 6865", table: requestTables[1], size: 110 },
  {
    fields: request3,
    block: "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    table: requestTables[2],
    size: 164,
  },
];

const c4: Step[] = [
  { fields: request1, block: "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", table: requestTables[0], size: 57 },
  { fields: request2, block: "8286 84be 5886 a8eb 1064 9cbf", table: requestTables[1], size: 110 },
  {
    fields: request3,
    block: "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    table: requestTables[2],
    size: 164,
  },
];

const c5: Step[] = [
  {
    fields: response1,
    block: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a
            3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
    table: responseTables[0],
    size: 222,
  },
  { fields: response2, block: "4803 3330 37c1 c0bf", table: responseTables[1], size: 222 },
  {
    fields: response3,
    block: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04
            677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49
            553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
    table: responseTables[2],
    size: 215,
  },
];

const c6: Step[] = [
  {
    fields: response1,
    block: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
            2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
    table: responseTables[0],
    size: 222,
  },
  { fields: response2, block: "4883 640e ffc1 c0bf", table: responseTables[1], size: 222 },
  {
    fields: response3,
    block: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
            77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
            9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    table: responseTables[2],
    size: 215,
  },
];

describe("RFC 7541 C.2: literal field representations", () => {
  it("C.2.1 a literal with indexing is delivered and added to the dynamic table", () => {
    const decoder = new HpackDecoder();
    const block = hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
    expect(decoder.decode(block)).toEqual(["custom-key", "custom-header"]);
    expect(decoder.tableEntries()).toEqual([["custom-key", "custom-header"]]);
    expect(decoder.tableSize).toBe(55);
  });

  it("C.2.2 a literal without indexing leaves the dynamic table empty", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("040c 2f73 616d 706c 652f 7061 7468"))).toEqual([":path", "/sample/path"]);
    expect(decoder.tableEntries()).toEqual([]);
    expect(decoder.tableSize).toBe(0);
  });

  it("C.2.3 a never-indexed literal is delivered as sensitive and not added to the table", () => {
    const decoder = new HpackDecoder();
    const seen: [string, string, boolean][] = [];
    decoder.decodeEach(hex("1008 7061 7373 776f 7264 0673 6563 7265 74"), (name, value, sensitive) => seen.push([name, value, sensitive]));
    expect(seen).toEqual([["password", "secret", true]]);
    expect(decoder.tableSize).toBe(0);
  });

  it("C.2.4 an indexed field reads the static table", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("82"))).toEqual([":method", "GET"]);
    expect(decoder.tableSize).toBe(0);
  });

  it("the encoder writes a sensitive field as C.2.3 does, never indexed", () => {
    const encoder = new HpackEncoder({ huffman: false, sensitive: ["password"] });
    expect(encoder.encode([["password", "secret"]]).toString("hex")).toBe("100870617373776f726406736563726574");
    expect(encoder.tableSize).toBe(0);
  });
});

function runExamples(title: string, steps: Step[], tableSize: number, huffman: boolean): void {
  describe(title, () => {
    it("decoding each block in turn gives the RFC's header lists and dynamic tables", () => {
      const decoder = new HpackDecoder({ maxTableSize: tableSize });
      decoder.setMaxTableSize(tableSize);
      const first = steps[0];
      for (const step of steps) {
        const block = step === first && tableSize !== 4096 ? Buffer.concat([sizeUpdate(tableSize), hex(step.block)]) : hex(step.block);
        expect(decoder.decode(block)).toEqual(flat(step.fields));
        expect(decoder.fault).toBeUndefined();
        expect(decoder.tableEntries()).toEqual(step.table);
        expect(decoder.tableSize).toBe(step.size);
      }
    });

    it("the encoder produces the RFC's bytes and the same dynamic tables", () => {
      const encoder = new HpackEncoder({ huffman, maxTableSize: 4096 });
      encoder.setPeerMaxTableSize(tableSize);
      const decoder = new HpackDecoder({ maxTableSize: tableSize });
      steps.forEach((step, i) => {
        const block = Buffer.from(encoder.encode(step.fields));
        const expected = i === 0 && tableSize !== 4096 ? Buffer.concat([sizeUpdate(tableSize), hex(step.block)]) : hex(step.block);
        expect(block.toString("hex")).toBe(expected.toString("hex"));
        expect(encoder.tableEntries()).toEqual(step.table);
        expect(encoder.tableSize).toBe(step.size);
        expect(decoder.decode(block)).toEqual(flat(step.fields));
      });
    });
  });
}

/** The dynamic table size update a 256-byte table needs before C.5 and C.6 (the RFC starts there). */
function sizeUpdate(size: number): Buffer {
  return size < 31 ? Buffer.of(0x20 | size) : Buffer.of(0x3f, ...encodeRest(size - 31));
}

function encodeRest(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

runExamples("RFC 7541 C.3: requests without Huffman sharing one dynamic table", c3, 4096, false);
runExamples("RFC 7541 C.4: requests with Huffman sharing one dynamic table", c4, 4096, true);
runExamples("RFC 7541 C.5: responses without Huffman in a 256-byte table, with evictions", c5, 256, false);
runExamples("RFC 7541 C.6: responses with Huffman in a 256-byte table, with evictions", c6, 256, true);

describe("RFC 7541 C.1: integer representation", () => {
  it("C.1.1 and C.1.2: size updates to 10 and 1337 use a 5-bit prefix (2a, 3f 9a 0a)", () => {
    const encoder = new HpackEncoder();
    encoder.setPeerMaxTableSize(10);
    expect(encoder.encode([]).toString("hex")).toBe("2a");
    encoder.setPeerMaxTableSize(1337);
    expect(encoder.encode([]).toString("hex")).toBe("3f9a0a");
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("2a"))).toEqual([]);
    expect(decoder.decode(hex("3f9a0a"))).toEqual([]);
  });

  it("a string length of 1337 in a 7-bit prefix (7f ba 09) decodes", () => {
    const value = "x".repeat(1337);
    const block = Buffer.concat([hex("000a"), Buffer.from("custom-key"), hex("7fba09"), Buffer.from(value)]);
    expect(new HpackDecoder().decode(block)).toEqual(["custom-key", value]);
  });

  it("an index of 137 (ff 0a) past the end of the tables is a decoding error", () => {
    expect(() => new HpackDecoder().decode(hex("ff0a"))).toThrow(/index 137 is past the end/);
  });
});
