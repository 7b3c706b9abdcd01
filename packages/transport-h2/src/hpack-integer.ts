/**
 * HPACK integers (RFC 7541 section 5.1): a value in the low `prefixBits` bits of a
 * first byte, continued in 7-bit groups, least significant first, when it does not fit.
 */

/**
 * Writes `value` (0 to 2^31 - 1) with an N-bit prefix at `offset`; `flags` holds the
 * first byte's bits above the prefix. Returns the offset after it (at most 6 bytes).
 */
export function writeHpackInteger(dst: Uint8Array, offset: number, prefixBits: number, flags: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  let o = offset;
  if (value < max) {
    dst[o++] = flags | value;
    return o;
  }
  dst[o++] = flags | max;
  let rest = value - max;
  while (rest >= 0x80) {
    dst[o++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  dst[o++] = rest;
  return o;
}
