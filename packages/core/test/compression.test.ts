import { deflateSync, gzipSync, gunzipSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Code } from "../src/status/code.js";
import { deflateCompressor, gzipCompressor, identityCompressor, parseAcceptEncoding } from "../src/wire/compression.js";
import { GrpcError } from "../src/status/grpc-error.js";

const MiB = 1024 * 1024;
const sample = Uint8Array.from({ length: 10_000 }, (_, i) => (i % 251) ^ (i >> 8));

async function rejection(p: Promise<unknown>): Promise<GrpcError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GrpcError);
    return e as GrpcError;
  }
  throw new Error("expected the promise to reject");
}

describe("identityCompressor", () => {
  it("is named identity and passes bytes through", async () => {
    expect(identityCompressor.name).toBe("identity");
    expect(await identityCompressor.compress(sample)).toBe(sample);
    expect(await identityCompressor.decompress(sample, sample.byteLength)).toBe(sample);
  });

  it("rejects a message over the maximum with RESOURCE_EXHAUSTED", async () => {
    const e = await rejection(identityCompressor.decompress(sample, 100));
    expect(e.code).toBe(Code.RESOURCE_EXHAUSTED);
  });
});

describe.each([
  { compressor: gzipCompressor, name: "gzip", pack: gzipSync, unpack: gunzipSync },
  { compressor: deflateCompressor, name: "deflate", pack: deflateSync, unpack: inflateSync },
])("$name compressor", ({ compressor, name, pack, unpack }) => {
  it(`is named ${name}`, () => {
    expect(compressor.name).toBe(name);
  });

  it("round-trips a message", async () => {
    const packed = await compressor.compress(sample);
    expect(packed.byteLength).toBeLessThan(sample.byteLength);
    expect(Array.from(await compressor.decompress(packed, MiB))).toEqual(Array.from(sample));
  });

  it("writes the standard format other implementations read", async () => {
    expect(Array.from(unpack(await compressor.compress(sample)))).toEqual(Array.from(sample));
    expect(Array.from(await compressor.decompress(pack(sample), MiB))).toEqual(Array.from(sample));
  });

  it("round-trips an empty message", async () => {
    const packed = await compressor.compress(new Uint8Array(0));
    expect((await compressor.decompress(packed, 0)).byteLength).toBe(0);
  });

  it("accepts output of exactly the maximum and rejects one byte more", async () => {
    const packed = pack(sample);
    expect((await compressor.decompress(packed, sample.byteLength)).byteLength).toBe(sample.byteLength);
    const e = await rejection(compressor.decompress(packed, sample.byteLength - 1));
    expect(e.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(e.rawMessage).toBe(`decompressed message larger than max (${sample.byteLength - 1} bytes)`);
  });

  it("rejects corrupt input with INTERNAL", async () => {
    const e = await rejection(compressor.decompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), MiB));
    expect(e.code).toBe(Code.INTERNAL);
    expect(e.rawMessage).toMatch(/^failed to decompress message: /);
  });

  it("rejects truncated input with INTERNAL", async () => {
    const packed = pack(sample);
    const e = await rejection(compressor.decompress(packed.subarray(0, packed.byteLength - 10), MiB));
    expect(e.code).toBe(Code.INTERNAL);
  });

  it("stops a decompression bomb at the maximum without inflating it in memory", async () => {
    const bomb = pack(Buffer.alloc(50 * MiB));
    expect(bomb.byteLength).toBeLessThan(MiB);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }, 1);
    try {
      const e = await rejection(compressor.decompress(bomb, 4 * MiB));
      expect(e.code).toBe(Code.RESOURCE_EXHAUSTED);
      expect(e.rawMessage).toBe(`decompressed message larger than max (${4 * MiB} bytes)`);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    expect(peak - before).toBeLessThan(16 * MiB);
  });
});

describe("parseAcceptEncoding", () => {
  it("splits on commas and trims", () => {
    expect(parseAcceptEncoding("gzip, deflate ,identity")).toEqual(["gzip", "deflate", "identity"]);
  });

  it("drops empty entries", () => {
    expect(parseAcceptEncoding("gzip,, ,deflate,")).toEqual(["gzip", "deflate"]);
  });

  it("reads a missing or empty header as no encodings", () => {
    expect(parseAcceptEncoding(undefined)).toEqual([]);
    expect(parseAcceptEncoding("")).toEqual([]);
  });
});
