/**
 * The one error HPACK decoding raises (RFC 7541). Every kind means the header block
 * could not be decoded: the peer's dynamic table and ours may now differ, so the
 * decoder refuses further blocks and the connection must end with
 * GOAWAY(COMPRESSION_ERROR) (RFC 9113 section 4.3).
 */
export type HpackErrorKind =
  /** The block ended inside a field, an integer or a string. */
  | "truncated"
  /** An integer larger than 2^31 - 1, or encoded with too many bytes. */
  | "integer-overflow"
  /** Index 0, or an index past the end of the static and dynamic tables. */
  | "invalid-index"
  /** Huffman padding longer than 7 bits or not all ones, or an EOS symbol. */
  | "invalid-huffman"
  /** A dynamic table size update after the first field, above our maximum, or missing when required. */
  | "invalid-table-size-update"
  /** A block given to a decoder that already failed. */
  | "decoder-failed";

export class HpackError extends Error {
  override readonly name = "HpackError";

  constructor(
    readonly kind: HpackErrorKind,
    message: string,
  ) {
    super(message);
  }
}
