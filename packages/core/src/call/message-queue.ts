/**
 * A queue of received messages read as an AsyncIterable, with flow control: when more
 * than `highWater` messages wait unread, `onPause` is called (the transport stops
 * reading, so the sender's HTTP/2 window closes); when the reader catches up, `onResume`.
 */
export class MessageQueue<T> implements AsyncIterable<T>, AsyncIterator<T> {
  private readonly items: T[] = [];
  private head = 0;
  private done = false;
  private error: unknown = undefined;
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private waiterReject: ((e: unknown) => void) | undefined;
  /** Readers that called next() while another was already waiting, in order (rare: for-await never does). */
  private laterWaiters: [(r: IteratorResult<T>) => void, (e: unknown) => void][] | undefined;
  private paused = false;

  constructor(
    private readonly highWater: number,
    private readonly onPause: () => void,
    private readonly onResume: () => void,
    /** Called when the reader stops early (break, return, throw). */
    private readonly onAbandon: () => void,
  ) {}

  push(item: T): void {
    if (this.done) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.nextWaiter();
      w({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.paused && this.items.length - this.head >= this.highWater) {
      this.paused = true;
      this.onPause();
    }
  }

  /** Ends the queue; with an error, the reader gets it after the queued messages. */
  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    const w = this.waiter;
    const r = this.waiterReject;
    const later = this.laterWaiters;
    this.waiter = this.waiterReject = this.laterWaiters = undefined;
    if (w !== undefined && r !== undefined) {
      if (error !== undefined) r(error);
      else w({ value: undefined, done: true });
    }
    // Readers in line after the first hear the end.
    if (later !== undefined) for (const [resolve] of later) resolve({ value: undefined, done: true });
  }

  /** The first waiting reader was served: the next one in line, if any, waits now. */
  private nextWaiter(): void {
    const next = this.laterWaiters?.shift();
    if (next === undefined) {
      this.waiter = this.waiterReject = undefined;
      return;
    }
    [this.waiter, this.waiterReject] = next;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head];
      this.items[this.head++] = undefined as T;
      if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
      }
      if (this.paused && this.items.length - this.head < this.highWater / 2) {
        this.paused = false;
        this.onResume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) {
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      if (this.waiter === undefined) {
        this.waiter = resolve;
        this.waiterReject = reject;
      } else (this.laterWaiters ??= []).push([resolve, reject]);
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.items.length = 0;
      this.head = 0;
      const w = this.waiter;
      const later = this.laterWaiters;
      this.waiter = this.waiterReject = this.laterWaiters = undefined;
      w?.({ value: undefined, done: true });
      if (later !== undefined) for (const [resolve] of later) resolve({ value: undefined, done: true });
      this.onAbandon();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}
