/**
 * The HPACK Huffman code (RFC 7541 section 5.2 and Appendix B): encoding, length,
 * and a decoder that checks the padding rules.
 *
 * The code is canonical: codes of one length are consecutive and follow symbol
 * order, shorter lengths first. So the bit lengths of Appendix B define it fully and
 * the codes are derived from them below.
 */
import { HpackError } from "./hpack-error.js";

/** Bit length of the code of each symbol 0..255, then EOS (256). */
const codeLengths = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;

/** The code of each symbol, right-aligned. */
export const huffmanCodes = new Uint32Array(257);
/** The bit length of each symbol's code. */
export const huffmanCodeLengths = Uint8Array.from(codeLengths);

{
  const order = Array.from({ length: 257 }, (_, sym) => sym).sort((a, b) => codeLengths[a] - codeLengths[b] || a - b);
  let code = 0;
  let length = codeLengths[order[0]];
  for (const sym of order) {
    code *= 2 ** (codeLengths[sym] - length);
    length = codeLengths[sym];
    huffmanCodes[sym] = code;
    code++;
  }
}

// The decoder walks the code tree four bits at a time. A state is an inner node of
// the tree (the root is state 0); for every state and nibble, `transitions` holds the
// next state, the symbol completed on the way (at most one: no code is shorter than
// five bits), and whether the bits read since the last symbol form valid padding.
const NO_SYMBOL = 0x100;
const EMITS = 1 << 17;
const FAILS = 1 << 18;
const ACCEPTS = 1 << 19;
const transitions = new Uint32Array(256 * 16);

{
  // Tree of inner nodes: child[2n + bit] is an inner node id, or ~symbol for a leaf.
  const child: number[] = [0, 0];
  const depth: number[] = [0];
  const allOnes: boolean[] = [true];
  for (let sym = 0; sym <= EOS; sym++) {
    const len = codeLengths[sym];
    const code = huffmanCodes[sym];
    let node = 0;
    for (let i = len - 1; i > 0; i--) {
      const bit = (code >>> i) & 1;
      let next = child[2 * node + bit];
      if (next === 0) {
        next = depth.length;
        depth.push(depth[node] + 1);
        allOnes.push(allOnes[node] && bit === 1);
        child.push(0, 0);
        child[2 * node + bit] = next;
      }
      node = next;
    }
    child[2 * node + (code & 1)] = ~sym;
  }
  for (let state = 0; state < depth.length; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let symbol = NO_SYMBOL;
      let flags = 0;
      for (let i = 3; i >= 0; i--) {
        const next = child[2 * node + ((nibble >>> i) & 1)];
        if (next < 0) {
          symbol = ~next;
          flags |= symbol === EOS ? FAILS : EMITS;
          node = 0;
        } else {
          node = next;
        }
      }
      if (node === 0 || (allOnes[node] && depth[node] <= 7)) flags |= ACCEPTS;
      transitions[state * 16 + nibble] = node | ((symbol & 0xff) << 8) | flags;
    }
  }
}

/** The Huffman-encoded length in bytes of a byte string (one char per byte, latin1). */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += huffmanCodeLengths[s.charCodeAt(i) & 0xff];
  return (bits + 7) >>> 3;
}

/**
 * Writes the Huffman encoding of `s` (one char per byte, latin1) at `offset`,
 * padded with the EOS prefix, and returns the offset after it. `dst` must have room
 * for huffmanEncodedLength(s) bytes.
 */
export function huffmanEncode(s: string, dst: Uint8Array, offset: number): number {
  let o = offset;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let len = huffmanCodeLengths[sym];
    let code = huffmanCodes[sym];
    if (len > 24) {
      // Keep acc within 31 bits: write the high part first.
      const high = len - 16;
      acc = (acc << high) | (code >>> 16);
      bits += high;
      while (bits >= 8) {
        bits -= 8;
        dst[o++] = acc >>> bits;
        acc &= (1 << bits) - 1;
      }
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      dst[o++] = acc >>> bits;
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) dst[o++] = (acc << (8 - bits)) | (0xff >>> bits);
  return o;
}

let scratch = Buffer.allocUnsafe(1024);

/**
 * Decodes the Huffman string in `src[start, end)` into a byte string (one char per
 * byte, latin1). Throws HpackError("invalid-huffman") for an EOS symbol, or padding
 * longer than 7 bits or not made of ones.
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  // The shortest code is 5 bits, so n bytes decode to at most 8n/5 symbols.
  const max = Math.ceil(((end - start) * 8) / 5);
  if (scratch.byteLength < max) scratch = Buffer.allocUnsafe(Math.max(max, scratch.byteLength * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  let accepts = true;
  for (let i = start; i < end; i++) {
    const byte = src[i];
    let t = transitions[(state << 4) | (byte >>> 4)];
    if ((t & FAILS) !== 0) throw eosError();
    if ((t & EMITS) !== 0) out[n++] = (t >>> 8) & 0xff;
    state = t & 0xff;
    t = transitions[(state << 4) | (byte & 0xf)];
    if ((t & FAILS) !== 0) throw eosError();
    if ((t & EMITS) !== 0) out[n++] = (t >>> 8) & 0xff;
    state = t & 0xff;
    accepts = (t & ACCEPTS) !== 0;
  }
  if (!accepts) throw new HpackError("invalid-huffman", "Huffman padding is longer than 7 bits or not all ones");
  return out.toString("latin1", 0, n);
}

function eosError(): HpackError {
  return new HpackError("invalid-huffman", "a Huffman string contains the EOS symbol");
}
