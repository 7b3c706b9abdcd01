/**
 * An earliest-deadline-first scheduler over weighted entries: entry i is due every
 * 1 / weight[i], and each pick takes the entry due soonest, so over any long run entry
 * i is picked in proportion to its weight and picks of one entry are spread out
 * instead of bunched.
 */

/** Picks indexes into a list of weighted entries, one per call. */
export interface Scheduler {
  /** The index of the next entry to use. */
  next(): number;
}

/**
 * Deterministic: the same weights and start offsets give the same sequence. Entry i
 * first falls due at (1 - startOffsets[i]) / weight (at 1 / weight without offsets);
 * the entry due soonest is picked and becomes due again 1 / weight later. Among
 * entries due at the same time, the one queued first (initially the lower index) goes
 * first. A binary heap keeps each pick O(log n).
 */
export class EdfScheduler implements Scheduler {
  private readonly period: Float64Array;
  private readonly deadline: Float64Array;
  /** When each entry was last queued, to order entries with equal deadlines. */
  private readonly queuedAt: Float64Array;
  /** Entry indexes in heap order, the entry due soonest first. */
  private readonly heap: Int32Array;
  private queued: number;

  /**
   * `weights` must all be positive and finite; `startOffsets`, each in [0, 1), start
   * entries that much of their period early (the share of picks stays the same).
   */
  constructor(weights: readonly number[], startOffsets?: readonly number[]) {
    const n = weights.length;
    if (n === 0) throw new RangeError("EdfScheduler needs at least one entry");
    this.period = new Float64Array(n);
    this.deadline = new Float64Array(n);
    this.queuedAt = new Float64Array(n);
    this.heap = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`EdfScheduler weight ${i} is ${w}; weights must be positive and finite`);
      this.period[i] = 1 / w;
      const offset = startOffsets?.[i] ?? 0;
      if (!(offset >= 0 && offset < 1)) throw new RangeError(`EdfScheduler start offset ${i} is ${offset}; offsets must be in [0, 1)`);
      this.deadline[i] = (1 - offset) / w;
      this.queuedAt[i] = i;
      this.heap[i] = i;
    }
    this.queued = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  next(): number {
    const i = this.heap[0];
    this.deadline[i] += this.period[i];
    this.queuedAt[i] = this.queued++;
    this.siftDown(0);
    return i;
  }

  /** Whether entry a is due before entry b. */
  private before(a: number, b: number): boolean {
    const da = this.deadline[a];
    const db = this.deadline[b];
    return da < db || (da === db && this.queuedAt[a] < this.queuedAt[b]);
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const n = heap.length;
    let i = at;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.before(heap[right], heap[left]) ? right : left;
      if (!this.before(heap[child], heap[i])) return;
      const t = heap[i];
      heap[i] = heap[child];
      heap[child] = t;
      i = child;
    }
  }
}
