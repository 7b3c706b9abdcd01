/**
 * Which scheduler a set of READY backends gets (gRFC A58): backends without a usable
 * weight yet are given the mean of the known weights; when fewer than two backends
 * have a weight, there is nothing to weigh them by and calls go round robin.
 */
import { EdfScheduler, type Scheduler } from "./edf-scheduler.js";

/** Hands out 0..n-1 in turn, from `start`. */
export class RoundRobinScheduler implements Scheduler {
  private at: number;

  constructor(
    private readonly n: number,
    start: number,
  ) {
    if (n <= 0) throw new RangeError("RoundRobinScheduler needs at least one entry");
    this.at = start % n;
  }

  next(): number {
    const i = this.at;
    this.at = i + 1 === this.n ? 0 : i + 1;
    return i;
  }
}

/**
 * The scheduler for backends with these weights (0: not known). Round robin when all
 * or all but one weights are 0; else EDF, each unknown weight set to the mean of the
 * known ones. Either starts at a random point (round robin at a random backend, EDF
 * with each backend a random part of its period early), so that a client whose picker
 * is rebuilt often, or many clients given the same weights, do not all send their
 * next call to the same backend.
 */
export function schedulerFor(weights: readonly number[], random: () => number = Math.random): Scheduler {
  const n = weights.length;
  let known = 0;
  let sum = 0;
  for (const w of weights) {
    if (w > 0) {
      known++;
      sum += w;
    }
  }
  if (known < 2) return new RoundRobinScheduler(n, Math.floor(random() * n));
  const mean = sum / known;
  return new EdfScheduler(
    weights.map((w) => (w > 0 ? w : mean)),
    weights.map(() => random()),
  );
}
