/** A gzip message that inflates to far more than it weighs, made without holding its output. */
import { gzipSync } from "node:zlib";

/**
 * gzip data inflating to `mebibytes` MiB of zeros: one member holding 1 MiB of zeros,
 * repeated (a gzip stream may be a sequence of members, and gunzip reads them all).
 * 1 GiB takes about 1 MiB.
 */
export function gzipBomb(mebibytes: number): Buffer {
  const member = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  return Buffer.concat(Array.from({ length: mebibytes }, () => member));
}
