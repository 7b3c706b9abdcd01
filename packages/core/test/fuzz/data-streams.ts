/** Hostile DATA for the fuzz tests: byte streams cut into chunks at random points, and how they should read. */
import fc from "fast-check";
import { Code } from "../../src/status/code.js";

/** Cuts `bytes` at the given offsets (taken modulo its length, sorted, deduplicated). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.byteLength === 0) return [bytes];
  const points = Array.from(new Set(cuts.map((c) => c % (bytes.byteLength + 1)))).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    if (p <= start) continue;
    out.push(bytes.slice(start, p));
    start = p;
  }
  out.push(bytes.slice(start));
  return out;
}

/** Joins chunks into one buffer. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of chunks) length += c.byteLength;
  const out = new Uint8Array(length);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

/** Random cut offsets for {@link splitAt}; empty chunks are possible. */
export const cutPoints = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 12 });

/** A 5-byte frame header: flags mostly 0 or 1, a length mostly small but sometimes huge. */
export const frameHeader = fc
  .record({
    flags: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    length: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom(0xffffffff, 0x80000000, 0x7fffffff, 1 << 24) },
      { weight: 1, arbitrary: fc.nat() },
    ),
  })
  .map(({ flags, length }) => Uint8Array.of(flags, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff));

/**
 * Byte streams that look like gRPC DATA: well-formed frames, frames whose body is cut
 * short or runs long, bad flags, huge lengths, and plain noise.
 */
export const hostileStream: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc
    .array(fc.tuple(frameHeader, fc.uint8Array({ maxLength: 48 })), { maxLength: 6 })
    .map((frames) => concat(frames.flat())),
);

/** Messages read from a stream, then the code it failed with (undefined when it read cleanly). */
export interface Decoded {
  messages: { data: number[]; compressed: boolean }[];
  error: Code | undefined;
}

/** What a whole-buffer reading of the frames says the stream holds, for any chunking. */
export function frameByFrame(bytes: Uint8Array, limit: number): Decoded {
  const messages: Decoded["messages"] = [];
  let pos = 0;
  while (pos < bytes.byteLength) {
    if (bytes.byteLength - pos < 5) return { messages, error: Code.INTERNAL };
    const flags = bytes[pos];
    const length = ((bytes[pos + 1] << 24) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 8) | bytes[pos + 4]) >>> 0;
    if (flags > 1) return { messages, error: Code.INTERNAL };
    if (length > limit) return { messages, error: Code.RESOURCE_EXHAUSTED };
    if (bytes.byteLength - pos - 5 < length) return { messages, error: Code.INTERNAL };
    messages.push({ data: Array.from(bytes.subarray(pos + 5, pos + 5 + length)), compressed: flags === 1 });
    pos += 5 + length;
  }
  return { messages, error: undefined };
}
