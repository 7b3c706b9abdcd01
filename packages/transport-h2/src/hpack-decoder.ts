/**
 * The HPACK decoder (RFC 7541) for the header blocks we receive, with the limits a
 * server needs against hostile peers: our SETTINGS_HEADER_TABLE_SIZE, integer and
 * Huffman checks, and SETTINGS_MAX_HEADER_LIST_SIZE counted while decoding.
 */
import { HpackDynamicTable, hpackEntryOverhead } from "./hpack-dynamic-table.js";
import { HpackError } from "./hpack-error.js";
import { huffmanDecode } from "./hpack-huffman.js";
import { hpackStaticTable, hpackStaticTableLength } from "./hpack-static-table.js";

export interface HpackDecoderOptions {
  /** Our SETTINGS_HEADER_TABLE_SIZE: the largest dynamic table the peer may use. Default 4096. */
  maxTableSize?: number;
  /**
   * Our SETTINGS_MAX_HEADER_LIST_SIZE, counted as RFC 9113 section 6.5.2 does (name
   * + value + 32 per field). Default 65536.
   */
  maxHeaderListSize?: number;
}

/**
 * Why a block that decoded without an HpackError still cannot be used; the stream
 * is reset, the connection and the dynamic table stay usable:
 * - "invalid-name": a field name is empty or holds an uppercase letter or another
 *   character RFC 9113 section 8.2.1 forbids: the stream is malformed (PROTOCOL_ERROR);
 * - "header-list-too-large": the list exceeds maxHeaderListSize; fields past the limit
 *   were decoded only as far as the dynamic table needs and were not delivered.
 */
export type HpackBlockFault = "invalid-name" | "header-list-too-large";

/** Receives each decoded field; `sensitive` for never-indexed literals. */
export type HpackFieldHandler = (name: string, value: string, sensitive: boolean) => void;

/**
 * Bytes that may not appear in an HTTP/2 field name: 0x00-0x20, A-Z, 0x7f-0xff, and
 * ":" except as a pseudo-header's first byte.
 */
const forbiddenInName = new Uint8Array(256);
for (let c = 0; c < 256; c++) if (c <= 0x20 || (c >= 0x41 && c <= 0x5a) || c >= 0x7f || c === 0x3a) forbiddenInName[c] = 1;

/**
 * Decodes the header blocks of one connection, in the order they arrive.
 *
 * Any HpackError (malformed input) leaves the dynamic table out of step with the
 * peer's: the connection must end with GOAWAY(COMPRESSION_ERROR), and this decoder
 * rejects every later block. A block fault (see `fault`) only ends its stream.
 *
 * ```ts
 * const decoder = new HpackDecoder({ maxHeaderListSize: 16384 });
 * const fields = decoder.decode(block); // [name0, value0, name1, value1, ...]
 * if (decoder.fault !== undefined) resetStream(decoder.fault);
 * ```
 */
export class HpackDecoder {
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE; may change between blocks. */
  maxHeaderListSize: number;
  /** The fault of the last decoded block, or undefined when it is usable. */
  fault: HpackBlockFault | undefined;
  private readonly table: HpackDynamicTable;
  private allowedTableSize: number;
  /** Our limit went below the peer's table: its next block must start with a size update. */
  private updateRequired = false;
  private failed = false;
  private src: Buffer = Buffer.alloc(0);
  private p = 0;
  private end = 0;

  constructor(options: HpackDecoderOptions = {}) {
    this.allowedTableSize = options.maxTableSize ?? 4096;
    this.maxHeaderListSize = options.maxHeaderListSize ?? 65_536;
    // The peer's encoder starts at the protocol default (4096) until it sends a size update.
    this.table = new HpackDynamicTable(4096);
    if (this.allowedTableSize < 4096) this.updateRequired = true;
  }

  /**
   * Our SETTINGS_HEADER_TABLE_SIZE, once the peer acknowledged the SETTINGS that
   * carried it. Below the peer's current table size, the peer's next block must
   * begin with a size update.
   */
  setMaxTableSize(size: number): void {
    this.allowedTableSize = size;
    if (size < this.table.maxSize) this.updateRequired = true;
  }

  /** The dynamic table's size in RFC 7541 accounting (name + value + 32 per entry). */
  get tableSize(): number {
    return this.table.size;
  }

  /** The dynamic table's entries, newest first. */
  tableEntries(): [string, string][] {
    const entries: [string, string][] = [];
    for (let i = 1; i <= this.table.length; i++) entries.push([this.table.name(i), this.table.value(i)]);
    return entries;
  }

  /**
   * Decodes one complete header block into [name0, value0, name1, value1, ...].
   * Throws HpackError for malformed input; check `fault` afterwards.
   */
  decode(block: Uint8Array): string[] {
    const out: string[] = [];
    this.run(block, out, undefined);
    return out;
  }

  /** As decode, handing each field to `onField` instead of building a list. */
  decodeEach(block: Uint8Array, onField: HpackFieldHandler): void {
    this.run(block, undefined, onField);
  }

  private run(block: Uint8Array, out: string[] | undefined, onField: HpackFieldHandler | undefined): void {
    if (this.failed) throw new HpackError("decoder-failed", "the decoder failed on an earlier block; the connection must end");
    this.src = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    this.p = 0;
    this.end = block.byteLength;
    this.fault = undefined;
    try {
      this.fields(out, onField);
    } catch (err) {
      this.failed = true;
      throw err;
    } finally {
      this.src = emptyBuffer;
    }
  }

  private fields(out: string[] | undefined, onField: HpackFieldHandler | undefined): void {
    const src = this.src;
    const limit = this.maxHeaderListSize;
    let listSize = 0;
    let delivering = true;
    let atStart = true;
    while (this.p < this.end) {
      const first = src[this.p];
      if ((first & 0xe0) === 0x20) {
        if (!atStart) throw new HpackError("invalid-table-size-update", "a dynamic table size update after the first field of a block");
        const size = this.integer(5);
        if (size > this.allowedTableSize) {
          throw new HpackError("invalid-table-size-update", `a dynamic table size update to ${size}, above our SETTINGS_HEADER_TABLE_SIZE ${this.allowedTableSize}`);
        }
        this.table.setMaxSize(size);
        this.updateRequired = false;
        continue;
      }
      if (atStart) {
        atStart = false;
        if (this.updateRequired) throw missingUpdate();
      }
      let name: string;
      let value: string;
      let sensitive = false;
      let checkName = true;
      if ((first & 0x80) !== 0) {
        const index = this.integer(7);
        if (index === 0) throw new HpackError("invalid-index", "an indexed field with index 0");
        if (index <= hpackStaticTableLength) {
          const entry = hpackStaticTable[index - 1];
          name = entry[0];
          value = entry[1];
          checkName = false;
        } else {
          const dynamic = this.dynamicIndex(index);
          name = this.table.name(dynamic);
          value = this.table.value(dynamic);
        }
      } else if ((first & 0x40) !== 0) {
        const index = this.integer(6);
        if (index !== 0 && index <= hpackStaticTableLength) checkName = false;
        name = index === 0 ? this.string() : this.nameAt(index);
        value = this.string();
        this.table.add(name, value);
      } else {
        sensitive = (first & 0x10) !== 0;
        const index = this.integer(4);
        if (index !== 0 && index <= hpackStaticTableLength) checkName = false;
        if (!delivering) {
          // Past the list limit: these fields touch no table, so they are skipped undecoded.
          if (index === 0) this.skipString();
          else this.nameAt(index);
          this.skipString();
          continue;
        }
        name = index === 0 ? this.string() : this.nameAt(index);
        value = this.string();
      }
      if (!delivering) continue;
      listSize += name.length + value.length + hpackEntryOverhead;
      if (listSize > limit) {
        delivering = false;
        this.fault = "header-list-too-large";
        continue;
      }
      if (checkName && this.fault === undefined && !validName(name)) this.fault = "invalid-name";
      if (out !== undefined) out.push(name, value);
      else onField!(name, value, sensitive);
    }
    if (atStart && this.updateRequired) throw missingUpdate();
  }

  /** Reads an integer with an N-bit prefix at the current position (section 5.1). */
  private integer(prefixBits: number): number {
    const src = this.src;
    let p = this.p;
    const max = (1 << prefixBits) - 1;
    let value = src[p++] & max;
    if (value === max) {
      let factor = 1;
      for (;;) {
        if (p >= this.end) throw truncated();
        const byte = src[p++];
        value += (byte & 0x7f) * factor;
        if (value > 0x7fffffff) throw new HpackError("integer-overflow", "an integer above 2^31 - 1");
        if ((byte & 0x80) === 0) break;
        factor *= 128;
        if (factor > 2 ** 28) throw new HpackError("integer-overflow", "an integer encoded with more than 5 continuation bytes");
      }
    }
    this.p = p;
    return value;
  }

  /** Reads a string literal (section 5.2) as a byte string (latin1). */
  private string(): string {
    if (this.p >= this.end) throw truncated();
    const huffman = (this.src[this.p] & 0x80) !== 0;
    const length = this.integer(7);
    const start = this.p;
    if (length > this.end - start) throw truncated();
    this.p = start + length;
    return huffman ? huffmanDecode(this.src, start, this.p) : this.src.toString("latin1", start, this.p);
  }

  private skipString(): void {
    if (this.p >= this.end) throw truncated();
    const length = this.integer(7);
    if (length > this.end - this.p) throw truncated();
    this.p += length;
  }

  private nameAt(index: number): string {
    if (index <= hpackStaticTableLength) return hpackStaticTable[index - 1][0];
    return this.table.name(this.dynamicIndex(index));
  }

  private dynamicIndex(index: number): number {
    const dynamic = index - hpackStaticTableLength;
    if (dynamic > this.table.length) {
      throw new HpackError("invalid-index", `index ${index} is past the end of the tables (${hpackStaticTableLength + this.table.length} entries)`);
    }
    return dynamic;
  }
}

const emptyBuffer = Buffer.alloc(0);

function validName(name: string): boolean {
  const start = name.charCodeAt(0) === 0x3a ? 1 : 0;
  if (name.length === start) return false;
  for (let i = start; i < name.length; i++) if (forbiddenInName[name.charCodeAt(i)] === 1) return false;
  return true;
}

function truncated(): HpackError {
  return new HpackError("truncated", "the header block ends inside a field");
}

function missingUpdate(): HpackError {
  return new HpackError("invalid-table-size-update", "the block does not begin with the dynamic table size update our smaller SETTINGS_HEADER_TABLE_SIZE requires");
}
