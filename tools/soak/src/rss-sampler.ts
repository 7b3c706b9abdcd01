/** Samples the resident memory of the server and of this process once a second. */
import { residentBytes } from "./proc-status.js";

/** One sample: seconds since sampling began, and VmRSS in bytes (0 when unreadable). */
export interface RssSample {
  atSeconds: number;
  serverRss: number;
  clientRss: number;
}

export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(private readonly serverPid: number) {}

  start(intervalMs = 1000): void {
    this.startedAt = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The largest server RSS sampled. */
  get serverPeak(): number {
    let peak = 0;
    for (const sample of this.samples) peak = Math.max(peak, sample.serverRss);
    return peak;
  }

  private sample(): void {
    this.samples.push({
      atSeconds: Math.round((performance.now() - this.startedAt) / 100) / 10,
      serverRss: residentBytes(this.serverPid) ?? 0,
      clientRss: residentBytes("self") ?? 0,
    });
  }
}
