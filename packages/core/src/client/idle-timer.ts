/**
 * Channel idleness, as grpc-go's idle manager: a channel that has had no call for its
 * idle timeout goes IDLE, so an application that keeps channels around for rare calls
 * does not keep their connections, resolvers and timers too. Calls are counted where
 * they already hold the event loop, so counting costs a call nothing more; one timer,
 * armed while the channel is out of IDLE, checks the count and re-arms itself.
 */
import { EventLoopHold } from "../timers/event-loop-hold.js";
import { LongTimer } from "../timers/long-timer.js";

export class CallActivity extends EventLoopHold {
  private lastCallEnd = 0;
  private timer: LongTimer | undefined;

  constructor(
    /** How long without a call sends the channel IDLE; 0 never does. */
    private readonly timeoutMs: number,
    /** Sends the channel IDLE; called only while no call is active. */
    private readonly enterIdle: () => void,
  ) {
    super();
  }

  override release(): void {
    const pending = this.count;
    super.release();
    if (pending === 1) this.lastCallEnd = Date.now();
  }

  /** The channel left IDLE: it goes back after the timeout with no call. */
  start(): void {
    if (this.timeoutMs <= 0 || this.timer !== undefined) return;
    this.lastCallEnd = Date.now();
    this.arm(this.timeoutMs);
  }

  /** The channel went IDLE or closed: no timer runs for it. */
  stop(): void {
    this.timer?.clear();
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = new LongTimer(this.check, delayMs, true);
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.count > 0) {
      this.arm(this.timeoutMs);
      return;
    }
    const quietMs = Date.now() - this.lastCallEnd;
    if (quietMs >= this.timeoutMs) this.enterIdle();
    else this.arm(this.timeoutMs - quietMs);
  };
}
