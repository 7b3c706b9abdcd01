/**
 * The hash ring of gRFC A42: each endpoint owns entries in proportion to its weight,
 * each entry placed at XXH64("<key>_<n>"); a request hash belongs to the first entry
 * at or after it, wrapping round. An endpoint's entries depend only on its own key
 * and share of the ring, so adding or removing one endpoint moves only the keys
 * that endpoint gains or loses.
 */
import { xxHash64 } from "./xxhash64.js";

/** One endpoint as the ring sees it: its hash key and its weight (> 0). */
export interface RingMember<T> {
  readonly key: string;
  readonly weight: number;
  readonly value: T;
}

export interface RingEntry<T> {
  readonly hash: bigint;
  readonly value: T;
}

/**
 * Builds the ring. Its size is scaled so the lightest endpoint gets at least one
 * entry where it can (per A42: ceil(minWeight * minRingSize) / minWeight), bounded by
 * `maxRingSize`.
 */
export function buildRing<T>(members: readonly RingMember<T>[], minRingSize: number, maxRingSize: number): RingEntry<T>[] {
  if (members.length === 0) return [];
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  const normalized = members.map((m) => m.weight / total);
  const minNormalized = Math.min(...normalized);
  const scale = Math.min(Math.ceil(minNormalized * minRingSize) / minNormalized, maxRingSize);
  const ring: RingEntry<T>[] = [];
  let currentHashes = 0;
  let targetHashes = 0;
  members.forEach((m, i) => {
    targetHashes += scale * normalized[i];
    for (let n = 0; currentHashes < targetHashes; n++, currentHashes++) {
      ring.push({ hash: xxHash64(`${m.key}_${n}`), value: m.value });
    }
  });
  ring.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  return ring;
}

/** The index of the first entry whose hash is at or after `hash`, wrapping to 0 past the end. */
export function ringIndexOf(ring: readonly RingEntry<unknown>[], hash: bigint): number {
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring[mid].hash < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === ring.length ? 0 : lo;
}
