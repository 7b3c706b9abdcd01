/**
 * The hash ring of gRFC A42: each endpoint owns entries in proportion to its weight,
 * each entry placed at XXH64("<key>_<n>") for n = 0, 1, …; a request hash belongs to
 * the first entry at or after it, wrapping round.
 *
 * How many entries an endpoint gets departs from A42, so that keys stay on the
 * endpoints that stay: it is round(weight × 2^level), at least 1, with one level for
 * the whole ring — the highest whose total fits in maxRingSize. An endpoint's entries
 * thus depend only on its own key and weight and on the level, and a smaller count's
 * entries are a prefix of a larger one's. While the level holds, adding or removing an
 * endpoint moves only the keys that endpoint gains or loses; when the endpoints outgrow
 * the ring (or shrink enough to fit at the next level up), the level moves and every
 * count halves (or doubles), moving keys between the others too.
 *
 * The cost: A42 (grpc-go, Envoy) rescales the ring for every endpoint count, so its
 * rings differ from these entry for entry, and a fleet mixing the two can send one key
 * to different backends.
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
 * Builds the ring: entries as the module comment says, between `minRingSize` and
 * `maxRingSize` of them, though every endpoint keeps at least one. Where no level gives a total within both bounds, A42's own
 * scaling is used, and adding or removing an endpoint may then move keys between the
 * others.
 */
export function buildRing<T>(members: readonly RingMember<T>[], minRingSize: number, maxRingSize: number): RingEntry<T>[] {
  if (members.length === 0) return [];
  const counts = entryCounts(members, minRingSize, maxRingSize);
  const ring: RingEntry<T>[] = [];
  members.forEach((m, i) => {
    for (let n = 0; n < counts[i]; n++) ring.push({ hash: xxHash64(`${m.key}_${n}`), value: m.value });
  });
  ring.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  return ring;
}

/** The levels searched: 2^-1075 is 0 (every count 1), 2^1024 is Infinity (every count past any bound). */
const LOWEST_LEVEL = -1075;
const HIGHEST_LEVEL = 1024;

function countAt(weight: number, level: number): number {
  return Math.max(1, Math.round(weight * 2 ** level));
}

/** The ring's total at `level`, or Infinity once it passes `limit` (so the sum stays bounded). */
function totalAt(members: readonly RingMember<unknown>[], level: number, limit: number): number {
  let total = 0;
  for (const m of members) {
    total += countAt(m.weight, level);
    if (total > limit) return Infinity;
  }
  return total;
}

/** Each member's entry count, in `members`' order. */
function entryCounts(members: readonly RingMember<unknown>[], minRingSize: number, maxRingSize: number): number[] {
  // More endpoints than maxRingSize: every endpoint keeps one entry, past the bound,
  // rather than some vanishing from the ring and never getting a call.
  if (members.length > maxRingSize) return members.map(() => 1);
  // The total only grows with the level, so a binary search finds the highest level
  // within maxRingSize: LOWEST_LEVEL always fits (one entry each), HIGHEST_LEVEL never does.
  let fits = LOWEST_LEVEL;
  let tooBig = HIGHEST_LEVEL;
  while (tooBig - fits > 1) {
    const mid = Math.floor((fits + tooBig) / 2);
    if (totalAt(members, mid, maxRingSize) <= maxRingSize) fits = mid;
    else tooBig = mid;
  }
  if (totalAt(members, fits, maxRingSize) >= minRingSize) return members.map((m) => countAt(m.weight, fits));
  return a42EntryCounts(members, minRingSize, maxRingSize);
}

/**
 * A42's scaling, for bounds no level fits between (which needs minRingSize above
 * (maxRingSize − endpoints) / 2, since a level's total is at least half the next level's
 * less half an entry per endpoint): the lightest endpoint gets ceil(its share ×
 * minRingSize) entries, the others in proportion, the total capped at maxRingSize.
 * Members are taken in key order so the same endpoints build the same ring in any order.
 */
function a42EntryCounts(members: readonly RingMember<unknown>[], minRingSize: number, maxRingSize: number): number[] {
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  const minNormalized = members.reduce((least, m) => Math.min(least, m.weight), Infinity) / total;
  const scale = Math.min(Math.ceil(minNormalized * minRingSize) / minNormalized, maxRingSize);
  const byKey = members.map((_, i) => i).sort((a, b) => (members[a].key < members[b].key ? -1 : members[a].key > members[b].key ? 1 : 0));
  const counts: number[] = new Array<number>(members.length).fill(0);
  let placed = 0;
  let target = 0;
  for (const i of byKey) {
    target += (scale * members[i].weight) / total;
    const count = Math.max(0, Math.ceil(target) - placed);
    placed += count;
    // At the cap a very light endpoint's share can round to nothing; it keeps one entry.
    counts[i] = Math.max(1, count);
  }
  return counts;
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
