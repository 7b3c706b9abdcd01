/**
 * Metadata: the custom headers and trailers of a call (doc/PROTOCOL-HTTP2.md,
 * Custom-Metadata), and their conversion to and from HTTP/2 header blocks.
 */
import { Code } from "./code.js";
import { GrpcError } from "./grpc-error.js";
import type { Http2Headers } from "./transport.js";

/** A metadata value: text for ASCII keys, bytes for keys ending in "-bin". */
export type MetadataValue = string | Uint8Array;

/** What a {@link Metadata} can be built from: one value or several per key. */
export type MetadataInit = Record<string, MetadataValue | MetadataValue[]>;

type Slot = MetadataValue | MetadataValue[];

let slotsOf: (md: Metadata) => Map<string, Slot>;

/**
 * Keys are case-insensitive (stored lowercase) and hold one or more values in order.
 * Keys ending in "-bin" hold bytes (sent base64-encoded); every other key holds
 * printable ASCII text. Invalid keys or values throw a TypeError where they are set.
 * Values are stored as given: bytes are not copied.
 *
 * ```ts
 * const md = new Metadata({ "x-request-id": "42", "trace-bin": new Uint8Array([1, 2]) });
 * md.add("x-tag", "a").add("x-tag", "b");
 * md.getAll("x-tag"); // ["a", "b"]
 * ```
 */
export class Metadata implements Iterable<[string, MetadataValue]> {
  readonly #slots = new Map<string, Slot>();

  static {
    slotsOf = (md) => md.#slots;
  }

  constructor(init?: MetadataInit) {
    if (init === undefined) return;
    for (const key of Object.keys(init)) {
      const value = init[key];
      if (Array.isArray(value)) {
        for (const v of value) this.add(key, v);
      } else {
        this.add(key, value);
      }
    }
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.#slots.size;
  }

  /** Replaces every value of `key` with `value`. */
  set(key: string, value: MetadataValue): this {
    const k = checkEntry(key, value);
    this.#slots.set(k, value);
    return this;
  }

  /** Appends `value` after the values `key` already has. */
  add(key: string, value: MetadataValue): this {
    appendSlot(this.#slots, checkEntry(key, value), value);
    return this;
  }

  /** The first value of `key`. */
  get(key: string): MetadataValue | undefined {
    const slot = this.#slots.get(key.toLowerCase());
    return Array.isArray(slot) ? slot[0] : slot;
  }

  /** Every value of `key`, in the order they were added (a new array). */
  getAll(key: string): MetadataValue[] {
    const slot = this.#slots.get(key.toLowerCase());
    if (slot === undefined) return [];
    return Array.isArray(slot) ? slot.slice() : [slot];
  }

  has(key: string): boolean {
    return this.#slots.has(key.toLowerCase());
  }

  /** Removes `key` and all its values; returns whether it was present. */
  delete(key: string): boolean {
    return this.#slots.delete(key.toLowerCase());
  }

  /** The distinct keys, lowercase, in insertion order. */
  keys(): string[] {
    return Array.from(this.#slots.keys());
  }

  /** Every [key, value] pair; a key with several values appears once per value. */
  *entries(): IterableIterator<[string, MetadataValue]> {
    for (const [key, slot] of this.#slots) {
      if (Array.isArray(slot)) {
        for (const v of slot) yield [key, v];
      } else {
        yield [key, slot];
      }
    }
  }

  [Symbol.iterator](): IterableIterator<[string, MetadataValue]> {
    return this.entries();
  }

  /** A copy whose keys and value lists are independent of this one (byte values are shared). */
  clone(): Metadata {
    const copy = new Metadata();
    const slots = copy.#slots;
    for (const [key, slot] of this.#slots) slots.set(key, Array.isArray(slot) ? slot.slice() : slot);
    return copy;
  }

  /** Adds every value of `other` after the values already here. */
  merge(other: Metadata): this {
    for (const [key, slot] of other.#slots) {
      if (Array.isArray(slot)) {
        for (const v of slot) appendSlot(this.#slots, key, v);
      } else {
        appendSlot(this.#slots, key, slot);
      }
    }
    return this;
  }

  /** A plain object for logs: one value as is, several as an array, bytes as base64. */
  toJSON(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [key, slot] of this.#slots) {
      out[key] = Array.isArray(slot) ? slot.map(toText) : toText(slot);
    }
    return out;
  }
}

function appendSlot(slots: Map<string, Slot>, key: string, value: MetadataValue): void {
  const current = slots.get(key);
  if (current === undefined) slots.set(key, value);
  else if (Array.isArray(current)) current.push(value);
  else slots.set(key, [current, value]);
}

const validKey = /^[0-9a-z_.-]+$/;

/** Validates a key/value pair and returns the lowercase key. */
function checkEntry(key: string, value: MetadataValue): string {
  if (typeof key !== "string") throw new TypeError(`metadata key must be a string, got ${typeof key}`);
  if (key.startsWith(":")) {
    throw new TypeError(`metadata key "${key}" is invalid: pseudo-headers (starting with ':') cannot be metadata`);
  }
  const k = key.toLowerCase();
  if (!validKey.test(k)) {
    throw new TypeError(`metadata key "${key}" is invalid: keys are lowercase letters, digits, '-', '_' and '.'`);
  }
  if (k.endsWith("-bin")) {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`metadata key "${k}" takes binary values: pass a Uint8Array, not a ${typeof value}`);
    }
    return k;
  }
  if (typeof value !== "string") {
    throw new TypeError(
      `metadata value for "${k}" must be a string; only keys ending in "-bin" take bytes`,
    );
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new TypeError(
        `metadata value for "${k}" has a character (0x${c.toString(16).padStart(2, "0")}) outside printable ASCII; use a "-bin" key for binary data`,
      );
    }
  }
  return k;
}

/** Header names a user's metadata can never set: HTTP/2 and gRPC own them. */
const reservedOnSend = new Set([
  "content-type",
  "content-length",
  "te",
  "host",
  "connection",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "proxy-connection",
]);

/** Header names that are protocol, not metadata, when received. */
const reservedOnReceive = new Set([
  "content-type",
  "content-length",
  "te",
  "host",
  "connection",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "proxy-connection",
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "grpc-accept-encoding",
  "grpc-timeout",
]);

/**
 * Writes `md` into a node-style header block: "-bin" values base64 without padding,
 * several values of a key as an array (sent as separate header fields). Keys that
 * HTTP/2 or gRPC reserve (every "grpc-" key but grpc-retry-pushback-ms, which a
 * server's handler sets in its trailers, content-type, te, connection-level headers)
 * are left out; user-agent passes through.
 */
export function metadataToHeaders(md: Metadata, into: Http2Headers): void {
  for (const [key, slot] of slotsOf(md)) {
    if (reservedOnSend.has(key) || (key.startsWith("grpc-") && key !== "grpc-retry-pushback-ms")) continue;
    let value: string | string[];
    if (Array.isArray(slot)) {
      value = new Array<string>(slot.length);
      for (let i = 0; i < slot.length; i++) value[i] = toText(slot[i]);
    } else {
      value = toText(slot);
    }
    // "__proto__" is a valid key; assigned, it would set the object's prototype instead.
    if (key === "__proto__") Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
    else into[key] = value;
  }
}

/**
 * Reads the metadata of a received header block, skipping pseudo-headers and the
 * headers gRPC and HTTP/2 use themselves. A "-bin" value may be padded or unpadded
 * base64, or several base64 values joined by commas (each becomes one value). Text
 * values are kept as received, including a ", "-joined repeat.
 *
 * Throws GrpcError(INTERNAL) when a "-bin" value is not valid base64, so the call
 * layer can fail that one call with a status.
 */
export function headersToMetadata(headers: Http2Headers): Metadata {
  const md = new Metadata();
  const slots = slotsOf(md);
  for (const key of Object.keys(headers)) {
    if (key.charCodeAt(0) === 58 /* ":" */ || reservedOnReceive.has(key)) continue;
    const raw = headers[key];
    if (raw === undefined) continue;
    if (key.endsWith("-bin")) {
      if (Array.isArray(raw)) {
        for (const v of raw) appendBinary(slots, key, v);
      } else {
        appendBinary(slots, key, String(raw));
      }
    } else if (typeof raw === "string") {
      appendSlot(slots, key, raw);
    } else if (Array.isArray(raw)) {
      for (const v of raw) appendSlot(slots, key, v);
    } else {
      appendSlot(slots, key, String(raw));
    }
  }
  return md;
}

function appendBinary(slots: Map<string, Slot>, key: string, value: string): void {
  if (value.indexOf(",") === -1) {
    appendSlot(slots, key, decodeBase64(key, value.trim()));
    return;
  }
  for (const part of value.split(",")) appendSlot(slots, key, decodeBase64(key, part.trim()));
}

function decodeBase64(key: string, s: string): Uint8Array {
  if (!isBase64(s)) throw new GrpcError(Code.INTERNAL, `invalid base64 in metadata "${key}"`);
  const b = Buffer.from(s, "base64");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Standard-alphabet base64, with or without padding. */
function isBase64(s: string): boolean {
  let end = s.length;
  if (end % 4 === 0 && end > 0 && s.charCodeAt(end - 1) === 61) {
    end--;
    if (s.charCodeAt(end - 1) === 61) end--;
  }
  if (end % 4 === 1) return false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 /* + */ || c === 47; /* / */
    if (!ok) return false;
  }
  return true;
}

function toText(value: MetadataValue): string {
  if (typeof value === "string") return value;
  const b64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  let end = b64.length;
  while (end > 0 && b64.charCodeAt(end - 1) === 61) end--;
  return end === b64.length ? b64 : b64.slice(0, end);
}
