/**
 * Bounds the bytes being decompressed at once. A compressed message may inflate to its
 * receive limit and no further, so each message being inflated holds that much of a
 * budget until its inflation ends; a server keeps one budget per connection and one for
 * all its connections, so a flood of small compressed messages that inflate to the
 * limit (gzip bombs) costs at most the budgets' worth of memory, and one connection
 * cannot take all of the server's. Messages that do not fit wait their turn, first come
 * first served, while their streams stop reading.
 */
import { processWide } from "../registry/process-state.js";
import type { Compressor } from "../wire/compression.js";

/** Bytes one connection's messages may be inflating into at once. */
export const connectionInflateBytes = 16 * 1024 * 1024;

/** Bytes all of a server's (or a process's client calls') messages may be inflating into at once. */
export const sharedInflateBytes = 64 * 1024 * 1024;

/** The budget every client call of the process (of every copy of core) inflates responses within. */
const clientBudget = processWide<{ budgets: readonly InflateBudget[] | undefined }>("client-inflate-budget", () => ({ budgets: undefined }));

export function clientInflateBudgets(): readonly InflateBudget[] {
  return (clientBudget.budgets ??= [new InflateBudget(sharedInflateBytes)]);
}

interface Waiter {
  readonly bytes: number;
  readonly grant: () => void;
}

export class InflateBudget {
  private used = 0;
  private readonly waiting: Waiter[] = [];
  private head = 0;

  constructor(readonly capacity: number) {}

  /** Bytes held by inflations running now. */
  get inUse(): number {
    return this.used;
  }

  /**
   * Takes `bytes`: true when they were free now, else a promise settled once they are.
   * A request larger than the whole budget is granted when nothing else holds any.
   */
  take(bytes: number): true | Promise<void> {
    if (this.head === this.waiting.length && this.fits(bytes)) {
      this.used += bytes;
      return true;
    }
    return new Promise((grant) => this.waiting.push({ bytes, grant }));
  }

  /** Gives back bytes taken, and lets waiting requests in, in order, while they fit. */
  give(bytes: number): void {
    this.used -= bytes;
    while (this.head < this.waiting.length) {
      const next = this.waiting[this.head];
      if (!this.fits(next.bytes)) break;
      this.waiting[this.head++] = undefined as never;
      this.used += next.bytes;
      next.grant();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.capacity;
  }
}

/**
 * Decompresses `data` with at most `maxBytes` of output, once `maxBytes` is free in
 * every budget (taken in order, so two inflations never wait on each other).
 * `abandoned` is asked once the budgets are granted: when it says the message is no
 * longer wanted, nothing is inflated and the promise resolves with undefined.
 */
export async function inflateWithin(
  budgets: readonly InflateBudget[],
  compressor: Compressor,
  data: Uint8Array,
  maxBytes: number,
  abandoned: () => boolean,
): Promise<Uint8Array | undefined> {
  let taken = 0;
  try {
    for (const budget of budgets) {
      const granted = budget.take(maxBytes);
      taken++;
      if (granted !== true) await granted;
    }
    if (abandoned()) return undefined;
    return await compressor.decompress(data, maxBytes);
  } finally {
    for (let i = 0; i < taken; i++) budgets[i].give(maxBytes);
  }
}
