/**
 * One Watch stream's view of a service's status: an async iterator that yields the
 * current status at once and then each change. A watcher that reads slowly keeps
 * only the latest status, so nothing queues up behind it.
 */
import type { ServingStatus } from "./serving-status.js";

/** One message of a Watch stream (a HealthCheckResponse init). */
export interface StatusUpdate {
  readonly status: ServingStatus;
}

/** One frozen response object per status, shared by every watcher. */
const responses: StatusUpdate[] = [];
function responseFor(status: ServingStatus): StatusUpdate {
  return (responses[status] ??= Object.freeze({ status }));
}

const done: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class StatusWatch implements AsyncIterableIterator<StatusUpdate> {
  private latest: ServingStatus;
  private sent: ServingStatus | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    initial: ServingStatus,
    private readonly onClose: (watch: StatusWatch) => void,
  ) {
    this.latest = initial;
  }

  /** Records the service's new status; a reader waiting for it is woken. */
  update(status: ServingStatus): void {
    this.latest = status;
    this.wakeReader();
  }

  /** Ends the stream: a waiting or later read sees the end. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
    this.wakeReader();
  }

  next(): Promise<IteratorResult<StatusUpdate, undefined>> {
    if (this.closed) return Promise.resolve(done);
    if (this.latest !== this.sent) {
      this.sent = this.latest;
      return Promise.resolve({ done: false, value: responseFor(this.latest) });
    }
    return new Promise((resolve) => {
      this.wake = () => resolve(this.next());
    });
  }

  return(): Promise<IteratorResult<StatusUpdate, undefined>> {
    this.close();
    return Promise.resolve(done);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private wakeReader(): void {
    const wake = this.wake;
    if (wake === undefined) return;
    // A status that went back to the one last sent is no change: keep waiting.
    if (!this.closed && this.latest === this.sent) return;
    this.wake = undefined;
    wake();
  }
}
