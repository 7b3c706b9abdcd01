/**
 * Metadata: the custom headers and trailers of a call (doc/PROTOCOL-HTTP2.md,
 * Custom-Metadata). Their conversion to and from HTTP/2 header blocks is in
 * metadata-headers.ts.
 */

/** A metadata value: text for ASCII keys, bytes for keys ending in "-bin". */
export type MetadataValue = string | Uint8Array;

/** What a {@link Metadata} can be built from: one value or several per key. */
export type MetadataInit = Record<string, MetadataValue | MetadataValue[]>;

/** The values of one key: one value as is, several in an array. */
export type MetadataSlot = MetadataValue | MetadataValue[];
type Slot = MetadataSlot;

let slotsOf: (md: Metadata) => Map<string, Slot>;

/**
 * The key-to-values map inside `md`, for the header-block conversion, which reads and
 * fills it without validating each value again. Not part of the public API.
 */
export function metadataSlots(md: Metadata): Map<string, MetadataSlot> {
  return slotsOf(md);
}

/**
 * A read-only view of Metadata: what a balancer's picker sees of a call's request
 * metadata and a finished call's trailers. `clone()` gives a copy that can be changed.
 */
export type ReadonlyMetadata = Pick<Metadata, "size" | "get" | "getAll" | "has" | "keys" | "entries" | "clone" | "toJSON" | typeof Symbol.iterator>;

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
    // A Metadata made by another copy of @grpckit/core in the process has no #slots of
    // this class: its values are read through its public iterator instead.
    slotsOf = (md) => (#slots in md ? md.#slots : slotsFromEntries(md));
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
    for (const [key, slot] of slotsOf(other)) {
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

/** Adds `value` after the values `key` already has in `slots`. */
export function appendSlot(slots: Map<string, Slot>, key: string, value: MetadataValue): void {
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

/** A value as header text: itself, or bytes as base64 without padding. */
export function toText(value: MetadataValue): string {
  if (typeof value === "string") return value;
  const b64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  let end = b64.length;
  while (end > 0 && b64.charCodeAt(end - 1) === 61) end--;
  return end === b64.length ? b64 : b64.slice(0, end);
}

function slotsFromEntries(md: Metadata): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  for (const [key, value] of md) appendSlot(slots, key, value);
  return slots;
}
