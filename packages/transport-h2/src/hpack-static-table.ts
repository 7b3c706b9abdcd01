/**
 * The HPACK static table (RFC 7541 Appendix A): 61 fields every encoder and decoder
 * know, at indexes 1 to 61.
 */

/** Entry `i` is the static table's index `i + 1`, as [name, value]. */
export const hpackStaticTable: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** The number of static entries; dynamic table indexes start after it. */
export const hpackStaticTableLength = 61;

/** What the static table holds for one name. */
export interface StaticName {
  /** The lowest index with this name. */
  readonly index: number;
  /** The index of each value the table holds for this name. */
  readonly values: ReadonlyMap<string, number>;
}

const byName = new Map<string, StaticName>();
for (let i = hpackStaticTable.length - 1; i >= 0; i--) {
  const [name, value] = hpackStaticTable[i];
  const values = (byName.get(name)?.values as Map<string, number> | undefined) ?? new Map<string, number>();
  values.set(value, i + 1);
  byName.set(name, { index: i + 1, values });
}

/** The static table's entries named `name`, or undefined. */
export function staticName(name: string): StaticName | undefined {
  return byName.get(name);
}
