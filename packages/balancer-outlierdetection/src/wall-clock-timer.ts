/**
 * A one-shot timer that fires at a time on the wall clock, for outlier detection's
 * interval. As core's timers do: it is unref'd, so a channel's balancer never keeps
 * the process alive, and a delay longer than setTimeout takes (about 24.8 days, where
 * Node would fire at once) is waited out in steps.
 */
import { maxTimerMs } from "@grpckit/core";

export class WallClockTimer {
  private handle: ReturnType<typeof setTimeout> | undefined;
  private at = 0;

  constructor(private readonly fn: () => void) {}

  /** Fires `fn` once when Date.now() reaches `at` (at once if it has); replaces any time set before. */
  fireAt(at: number): void {
    this.clear();
    this.at = at;
    this.arm();
  }

  /** Cancels the pending firing, if any. */
  clear(): void {
    if (this.handle === undefined) return;
    clearTimeout(this.handle);
    this.handle = undefined;
  }

  private arm(): void {
    const delay = Math.min(Math.max(this.at - Date.now(), 0), maxTimerMs);
    this.handle = setTimeout(this.fire, delay);
    this.handle.unref();
  }

  private readonly fire = (): void => {
    if (Date.now() < this.at) {
      this.arm();
      return;
    }
    this.handle = undefined;
    this.fn();
  };
}
