/**
 * A request stream the caller writes to as a conversation goes (ping_pong sends its
 * next request only after reading a response): an AsyncIterable of what was written.
 */
export class RequestStream<T> implements AsyncIterable<T> {
  private readonly queued: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  /** Queues `message`; ignored once the stream has ended. */
  write(message: T): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting !== undefined) {
      this.waiting = undefined;
      waiting({ value: message, done: false });
    } else {
      this.queued.push(message);
    }
  }

  /** Half-closes: the iteration ends after the queued messages. */
  end(): void {
    this.ended = true;
    const waiting = this.waiting;
    if (waiting !== undefined && this.queued.length === 0) {
      this.waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.queued.length > 0) return Promise.resolve({ value: this.queued.shift() as T, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.queued.length = 0;
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
