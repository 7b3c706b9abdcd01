/**
 * The grpc-timeout header (doc/PROTOCOL-HTTP2.md, Timeout): at most 8 ASCII digits
 * followed by a unit, H (hours), M (minutes), S (seconds), m (milliseconds),
 * u (microseconds) or n (nanoseconds).
 */

const maxValue = 99_999_999;

/** Units finest first, with how many of each make one millisecond. */
const units: ReadonlyArray<readonly [string, number]> = [
  ["n", 1e6],
  ["u", 1e3],
  ["m", 1],
  ["S", 1 / 1e3],
  ["M", 1 / 60e3],
  ["H", 1 / 3600e3],
];

/**
 * Encodes a timeout of `ms` milliseconds in the finest unit whose value fits in 8
 * digits, rounding up so the peer never sees a shorter deadline. A timeout at or below
 * zero is "0n"; one too long for 99999999H (or infinite) is capped there.
 */
export function encodeTimeout(ms: number): string {
  if (Number.isNaN(ms)) throw new RangeError("timeout must be a number of milliseconds, got NaN");
  if (ms <= 0) return "0n";
  for (const [unit, perMs] of units) {
    const value = roundUp(ms * perMs);
    if (value <= maxValue) return `${value}${unit}`;
  }
  return `${maxValue}H`;
}

/** Ceil that ignores floating-point noise: 1.1 ms is 1100000n, not 1100001n. */
function roundUp(x: number): number {
  const nearest = Math.round(x);
  if (Math.abs(x - nearest) <= Number.EPSILON * 8 * Math.max(1, x)) return nearest;
  return Math.ceil(x);
}

/**
 * Parses a grpc-timeout value into milliseconds (a fraction for "u" and "n").
 * Returns undefined for anything malformed: empty, no digits, more than 8 digits,
 * a sign, spaces or an unknown unit.
 */
export function parseTimeout(value: string): number | undefined {
  const digits = value.length - 1;
  if (digits < 1 || digits > 8) return undefined;
  let n = 0;
  for (let i = 0; i < digits; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  switch (value.charCodeAt(digits)) {
    case 72 /* H */:
      return n * 3600e3;
    case 77 /* M */:
      return n * 60e3;
    case 83 /* S */:
      return n * 1e3;
    case 109 /* m */:
      return n;
    case 117 /* u */:
      return n / 1e3;
    case 110 /* n */:
      return n / 1e6;
    default:
      return undefined;
  }
}
