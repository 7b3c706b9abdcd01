/**
 * The HPACK encoder (RFC 7541) for the header blocks we send: static table matches,
 * a dynamic table that follows the peer's SETTINGS_HEADER_TABLE_SIZE, never-indexed
 * literals for sensitive fields, and Huffman strings unless they are longer.
 */
import { HpackDynamicTable, hpackEntryOverhead } from "./hpack-dynamic-table.js";
import { huffmanEncode, huffmanEncodedLength } from "./hpack-huffman.js";
import { writeHpackInteger } from "./hpack-integer.js";
import { hpackStaticTableLength, staticName } from "./hpack-static-table.js";

/** SETTINGS_HEADER_TABLE_SIZE before any SETTINGS (RFC 9113 section 6.5.2). */
export const defaultHeaderTableSize = 4096;

export interface HpackEncoderOptions {
  /** Our upper bound on the dynamic table, whatever the peer allows. Default 4096. */
  maxTableSize?: number;
  /** Huffman-code a string unless that is longer. Default true. */
  huffman?: boolean;
  /**
   * Field names sent as never-indexed literals (RFC 7541 section 7.1.3), so no
   * intermediary compresses them. Default: authorization, proxy-authorization.
   */
  sensitive?: Iterable<string>;
  /** Field names sent as literals without indexing: values that change on every call. Default none. */
  unindexed?: Iterable<string>;
  /** How many strings' encodings are cached (strings up to 1024 bytes). Default 128; 0 turns the cache off. */
  stringCacheEntries?: number;
}

const SENSITIVE = 1;
const UNINDEXED = 2;
const maxCachedStringLength = 1024;

/**
 * Encodes header lists into header blocks for one connection; blocks must be sent
 * in the order they were encoded. Names must be lowercase (RFC 9113 section 8.2.1).
 * Strings are byte strings: one char per byte (latin1), as gRPC's ASCII and
 * base64 `-bin` values are.
 *
 * ```ts
 * const encoder = new HpackEncoder();
 * const block = encoder.encode([[":status", "200"], ["content-type", "application/grpc"]]);
 * socket.write(headersFrames(streamId, block, false, maxFrameSize));
 * ```
 */
export class HpackEncoder {
  // Grows as needed: gRPC's header blocks are a few hundred bytes, and each connection has one.
  private buf = Buffer.allocUnsafe(512);
  private pos = 0;
  private readonly table: HpackDynamicTable;
  private readonly cap: number;
  private peerMax = defaultHeaderTableSize;
  /** Smallest table size since the last block, or -1 when no size update is due. */
  private pendingMin = -1;
  private readonly huffman: boolean;
  private readonly policy = new Map<string, number>();
  private readonly cache = new Map<string, Buffer>();
  private readonly cacheEntries: number;

  constructor(options: HpackEncoderOptions = {}) {
    this.cap = options.maxTableSize ?? defaultHeaderTableSize;
    this.huffman = options.huffman ?? true;
    this.cacheEntries = this.huffman ? (options.stringCacheEntries ?? 128) : 0;
    for (const name of options.unindexed ?? []) this.policy.set(name, UNINDEXED);
    for (const name of options.sensitive ?? ["authorization", "proxy-authorization"]) this.policy.set(name, SENSITIVE);
    const size = Math.min(this.cap, this.peerMax);
    this.table = new HpackDynamicTable(size, true);
    // The peer's decoder starts at 4096: a smaller table must be announced.
    if (size !== defaultHeaderTableSize) this.pendingMin = size;
  }

  /**
   * The peer's SETTINGS_HEADER_TABLE_SIZE changed: the table follows it (up to
   * maxTableSize), shrinking at once, and the next block starts with a size update.
   */
  setPeerMaxTableSize(size: number): void {
    this.peerMax = size;
    const next = Math.min(this.cap, size);
    if (next === this.table.maxSize) return;
    this.table.setMaxSize(next);
    this.pendingMin = this.pendingMin === -1 ? next : Math.min(this.pendingMin, next);
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
   * Encodes one header list. The result is a view of the encoder's buffer, valid
   * until the next block is encoded: write or copy it before that.
   */
  encode(fields: readonly (readonly [string, string])[]): Buffer {
    this.begin();
    for (let i = 0; i < fields.length; i++) this.field(fields[i][0], fields[i][1]);
    return this.end();
  }

  /** As encode, from a flat list [name0, value0, name1, value1, ...]. */
  encodeFlat(fields: readonly string[]): Buffer {
    this.begin();
    for (let i = 0; i + 1 < fields.length; i += 2) this.field(fields[i], fields[i + 1]);
    return this.end();
  }

  /** True when the next block must begin with a dynamic table size update. */
  get sizeUpdatePending(): boolean {
    return this.pendingMin !== -1;
  }

  /**
   * Encodes a header list without the dynamic table: exact static-table matches, and
   * literals that are not indexed. The block means the same whatever the table holds,
   * so it may be sent again on any connection whose next block needs no size update.
   * Returns a copy, which the caller may keep.
   */
  encodeStateless(fields: readonly (readonly [string, string])[]): Buffer {
    this.pos = 0;
    for (let i = 0; i < fields.length; i++) {
      const [name, value] = fields[i];
      this.ensure(24 + name.length + value.length);
      const inStatic = staticName(name);
      const sensitive = this.policy.get(name) === SENSITIVE;
      const exact = sensitive ? undefined : inStatic?.values.get(value);
      if (exact !== undefined) this.pos = writeHpackInteger(this.buf, this.pos, 7, 0x80, exact);
      else this.literal(sensitive ? 0x10 : 0x00, 4, inStatic?.index ?? 0, name, value);
    }
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** Starts a header block; fields follow with field(), and end() returns the block. */
  begin(): void {
    this.pos = 0;
    if (this.pendingMin === -1) return;
    this.ensure(12);
    const size = this.table.maxSize;
    if (this.pendingMin < size) this.pos = writeHpackInteger(this.buf, this.pos, 5, 0x20, this.pendingMin);
    this.pos = writeHpackInteger(this.buf, this.pos, 5, 0x20, size);
    this.pendingMin = -1;
  }

  /** Adds one field to the block begun with begin(). */
  field(name: string, value: string): void {
    this.ensure(24 + name.length + value.length);
    const policy = this.policy.get(name);
    const inStatic = staticName(name);
    if (policy !== SENSITIVE) {
      const exact = inStatic?.values.get(value);
      if (exact !== undefined) {
        this.pos = writeHpackInteger(this.buf, this.pos, 7, 0x80, exact);
        return;
      }
      const dynamic = this.table.findField(name, value);
      if (dynamic !== 0) {
        this.pos = writeHpackInteger(this.buf, this.pos, 7, 0x80, hpackStaticTableLength + dynamic);
        return;
      }
    }
    let nameIndex = inStatic?.index ?? 0;
    if (nameIndex === 0) {
      const dynamic = this.table.findName(name);
      if (dynamic !== 0) nameIndex = hpackStaticTableLength + dynamic;
    }
    if (policy === SENSITIVE) {
      this.literal(0x10, 4, nameIndex, name, value);
    } else if (policy !== UNINDEXED && (name.length + value.length + hpackEntryOverhead) * 2 <= this.table.maxSize) {
      // A field larger than half the table would evict most of it for one entry.
      this.literal(0x40, 6, nameIndex, name, value);
      this.table.add(name, value);
    } else {
      this.literal(0x00, 4, nameIndex, name, value);
    }
  }

  /** Ends the block and returns it (a view valid until the next begin()). */
  end(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private literal(flags: number, prefixBits: number, nameIndex: number, name: string, value: string): void {
    this.pos = writeHpackInteger(this.buf, this.pos, prefixBits, flags, nameIndex);
    if (nameIndex === 0) this.string(name);
    this.string(value);
  }

  private string(s: string): void {
    if (this.cacheEntries === 0) {
      if (this.huffman) this.encodeString(s);
      else this.rawString(s);
      return;
    }
    const cached = this.cache.get(s);
    if (cached !== undefined) {
      this.buf.set(cached, this.pos);
      this.pos += cached.byteLength;
      return;
    }
    const start = this.pos;
    this.encodeString(s);
    if (s.length > maxCachedStringLength) return;
    if (this.cache.size >= this.cacheEntries) {
      // Oldest first: a Map iterates in insertion order.
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    this.cache.set(s, Buffer.from(this.buf.subarray(start, this.pos)));
  }

  private encodeString(s: string): void {
    const huffmanLength = huffmanEncodedLength(s);
    if (huffmanLength > s.length) {
      this.rawString(s);
      return;
    }
    this.pos = writeHpackInteger(this.buf, this.pos, 7, 0x80, huffmanLength);
    this.pos = huffmanEncode(s, this.buf, this.pos);
  }

  private rawString(s: string): void {
    this.pos = writeHpackInteger(this.buf, this.pos, 7, 0x00, s.length);
    this.pos += this.buf.write(s, this.pos, "latin1");
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.byteLength * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
