/**
 * The HPACK dynamic table (RFC 7541 section 2.3.2 and 4): a FIFO of fields, newest
 * at index 1, sized as name + value + 32 bytes per entry, evicting the oldest entries
 * to stay within its maximum size. Both the encoder and the decoder keep one; the
 * encoder's also answers "which index holds this field?".
 */

/** The overhead RFC 7541 section 4.1 adds to each entry's name and value lengths. */
export const hpackEntryOverhead = 32;

export class HpackDynamicTable {
  private names: string[] = new Array<string>(16);
  private values: string[] = new Array<string>(16);
  /** Slot the next entry goes to; the newest entry is at head - 1. */
  private head = 0;
  private count = 0;
  private mask = 15;
  private bytes = 0;
  private limit: number;
  /** Entries ever added: the newest entry's id. */
  private added = 0;
  /** name -> id of the newest entry with it; name -> value -> id of the newest such entry. */
  private readonly byName: Map<string, number> | undefined;
  private readonly byField: Map<string, Map<string, number>> | undefined;

  /** `searchable` keeps the maps findField and findName need (the encoder's table). */
  constructor(maxSize: number, searchable = false) {
    this.limit = maxSize;
    if (searchable) {
      this.byName = new Map();
      this.byField = new Map();
    }
  }

  /** The number of entries. */
  get length(): number {
    return this.count;
  }

  /** The table's size in the RFC's accounting (name + value + 32 per entry). */
  get size(): number {
    return this.bytes;
  }

  get maxSize(): number {
    return this.limit;
  }

  /** Name of the entry at `index` (1 = newest); index must be in 1..length. */
  name(index: number): string {
    return this.names[(this.head - index) & this.mask];
  }

  /** Value of the entry at `index` (1 = newest); index must be in 1..length. */
  value(index: number): string {
    return this.values[(this.head - index) & this.mask];
  }

  /**
   * Adds a field as the newest entry, evicting old entries to make room. A field
   * larger than the maximum size empties the table and is not added (section 4.4).
   */
  add(name: string, value: string): void {
    const size = name.length + value.length + hpackEntryOverhead;
    if (size > this.limit) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.limit - size);
    if (this.count === this.names.length) this.grow();
    const slot = this.head;
    this.names[slot] = name;
    this.values[slot] = value;
    this.head = (slot + 1) & this.mask;
    this.count++;
    this.bytes += size;
    const id = ++this.added;
    if (this.byName !== undefined && this.byField !== undefined) {
      this.byName.set(name, id);
      let values = this.byField.get(name);
      if (values === undefined) {
        values = new Map();
        this.byField.set(name, values);
      }
      values.set(value, id);
    }
  }

  /** Sets the maximum size, evicting the oldest entries until the table fits. */
  setMaxSize(maxSize: number): void {
    this.limit = maxSize;
    this.evictTo(maxSize);
  }

  /** The index (1 = newest) of an entry holding exactly (name, value), or 0. Searchable tables only. */
  findField(name: string, value: string): number {
    const id = this.byField?.get(name)?.get(value);
    return id === undefined ? 0 : this.added - id + 1;
  }

  /** The index (1 = newest) of the newest entry named `name`, or 0. Searchable tables only. */
  findName(name: string): number {
    const id = this.byName?.get(name);
    return id === undefined ? 0 : this.added - id + 1;
  }

  private evictTo(targetSize: number): void {
    while (this.bytes > targetSize) {
      const slot = (this.head - this.count) & this.mask;
      const name = this.names[slot];
      const value = this.values[slot];
      this.bytes -= name.length + value.length + hpackEntryOverhead;
      if (this.byName !== undefined && this.byField !== undefined) {
        const id = this.added - this.count + 1;
        if (this.byName.get(name) === id) this.byName.delete(name);
        const values = this.byField.get(name);
        if (values !== undefined && values.get(value) === id) {
          if (values.size === 1) this.byField.delete(name);
          else values.delete(value);
        }
      }
      this.names[slot] = "";
      this.values[slot] = "";
      this.count--;
    }
  }

  private grow(): void {
    const capacity = this.names.length * 2;
    const names = new Array<string>(capacity);
    const values = new Array<string>(capacity);
    for (let i = 0; i < this.count; i++) {
      const slot = (this.head - this.count + i) & this.mask;
      names[i] = this.names[slot];
      values[i] = this.values[slot];
    }
    this.names = names;
    this.values = values;
    this.head = this.count;
    this.mask = capacity - 1;
  }
}
