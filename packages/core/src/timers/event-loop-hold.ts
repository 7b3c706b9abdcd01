/**
 * Keeps the process running while a channel has calls pending. Core's own timers are
 * unref'd and a call waiting for a connection holds no socket, so without a hold a
 * process whose only work is such a call would exit with the call never settled. One
 * ref'd handle per channel, taken by its first pending call and let go by its last:
 * a channel with nothing pending never keeps a process alive.
 */
import { maxTimerMs } from "./long-timer.js";

const nothing = (): void => {};

export class EventLoopHold {
  /** Calls pending now. */
  protected count = 0;
  private handle: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  /** A call is pending: the process stays up until it is released. */
  acquire(): void {
    if (this.closed) return;
    if (this.count++ > 0) return;
    if (this.handle === undefined) this.handle = setInterval(nothing, maxTimerMs);
    else this.handle.ref();
  }

  /** A call settled; the last one lets the process exit again. */
  release(): void {
    if (this.count === 0) return;
    if (--this.count === 0) this.handle?.unref();
  }

  /** Drops the (unref'd) handle while nothing is pending, so an idle channel keeps no timer; the next call makes a new one. */
  sleep(): void {
    if (this.count > 0 || this.handle === undefined) return;
    clearInterval(this.handle);
    this.handle = undefined;
  }

  /** The channel closed: nothing holds the process on its behalf any more. */
  close(): void {
    this.closed = true;
    this.count = 0;
    if (this.handle !== undefined) clearInterval(this.handle);
    this.handle = undefined;
  }
}
