/**
 * The grpc-message encoding (doc/PROTOCOL-HTTP2.md, Status-Message): the UTF-8 bytes of
 * the message, with every byte outside printable ASCII (0x20-0x7E) and '%' itself
 * written as %XX.
 */

const hex = "0123456789ABCDEF";

/** Percent-encodes a status message for the grpc-message trailer. */
export function encodeGrpcMessage(message: string): string {
  let i = 0;
  while (i < message.length && isPlain(message.charCodeAt(i))) i++;
  if (i === message.length) return message;
  const bytes = Buffer.from(message, "utf8");
  let out = message.slice(0, i);
  for (let j = i; j < bytes.length; j++) {
    const b = bytes[j];
    out += isPlain(b) ? String.fromCharCode(b) : "%" + hex[b >> 4] + hex[b & 0xf];
  }
  return out;
}

function isPlain(c: number): boolean {
  return c >= 0x20 && c <= 0x7e && c !== 0x25; /* % */
}

/**
 * Decodes a grpc-message value. Malformed escapes ("%", "%4", "%zz") are kept as
 * they are, bytes that are not valid UTF-8 become U+FFFD, and characters that were not
 * escaped are kept; it never throws.
 */
export function decodeGrpcMessage(value: string): string {
  let i = value.indexOf("%");
  if (i === -1) return value;
  let out = value.slice(0, i);
  let run: number[] | undefined;
  while (i < value.length) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length) {
      const hi = hexValue(value.charCodeAt(i + 1));
      const lo = hexValue(value.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        (run ??= []).push((hi << 4) | lo);
        i += 3;
        continue;
      }
    }
    if (run !== undefined && run.length > 0) {
      out += Buffer.from(run).toString("utf8");
      run.length = 0;
    }
    out += value[i];
    i++;
  }
  if (run !== undefined && run.length > 0) out += Buffer.from(run).toString("utf8");
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
