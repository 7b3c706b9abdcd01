/**
 * Metadata in HTTP/2 header blocks (doc/PROTOCOL-HTTP2.md, Custom-Metadata): which
 * header names are the protocol's own, "-bin" values as base64, and several values of
 * a key as separate header fields.
 */
import { Code } from "../status/code.js";
import { GrpcError } from "../status/grpc-error.js";
import type { Http2Headers } from "./http2.js";
import { appendSlot, metadataSlots, Metadata, toText, type MetadataSlot } from "../metadata/metadata.js";

/** Header names a user's metadata can never set: HTTP/2 and gRPC own them. */
const reservedOnSend = new Set([
  "content-type",
  "content-length",
  "te",
  "host",
  "connection",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "proxy-connection",
]);

/** Header names that are protocol, not metadata, when received: the above, and gRPC's own. */
const reservedOnReceive = new Set([
  ...reservedOnSend,
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "grpc-accept-encoding",
  "grpc-timeout",
]);

/**
 * Writes `md` into a node-style header block: "-bin" values base64 without padding,
 * several values of a key as an array (sent as separate header fields). Keys that
 * HTTP/2 or gRPC reserve (every "grpc-" key but grpc-retry-pushback-ms, which a
 * server's handler sets in its trailers, content-type, te, connection-level headers)
 * are left out; user-agent passes through.
 */
export function metadataToHeaders(md: Metadata, into: Http2Headers): void {
  for (const [key, slot] of metadataSlots(md)) {
    if (reservedOnSend.has(key) || (key.startsWith("grpc-") && key !== "grpc-retry-pushback-ms")) continue;
    let value: string | string[];
    if (Array.isArray(slot)) {
      value = new Array<string>(slot.length);
      for (let i = 0; i < slot.length; i++) value[i] = toText(slot[i]);
    } else {
      value = toText(slot);
    }
    // "__proto__" is a valid key; assigned, it would set the object's prototype instead.
    if (key === "__proto__") Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
    else into[key] = value;
  }
}

/**
 * Reads the metadata of a received header block, skipping pseudo-headers and the
 * headers gRPC and HTTP/2 use themselves. A "-bin" value may be padded or unpadded
 * base64, or several base64 values joined by commas (each becomes one value). Text
 * values are kept as received, including a ", "-joined repeat.
 *
 * Throws GrpcError(INTERNAL) when a "-bin" value is not valid base64, so the call
 * layer can fail that one call with a status.
 */
export function headersToMetadata(headers: Http2Headers): Metadata {
  const md = new Metadata();
  const slots = metadataSlots(md);
  for (const key of Object.keys(headers)) {
    if (key.charCodeAt(0) === 58 /* ":" */ || reservedOnReceive.has(key)) continue;
    const raw = headers[key];
    if (raw === undefined) continue;
    if (key.endsWith("-bin")) {
      if (Array.isArray(raw)) {
        for (const v of raw) appendBinary(slots, key, v);
      } else {
        appendBinary(slots, key, String(raw));
      }
    } else if (typeof raw === "string") {
      appendSlot(slots, key, raw);
    } else if (Array.isArray(raw)) {
      for (const v of raw) appendSlot(slots, key, v);
    } else {
      appendSlot(slots, key, String(raw));
    }
  }
  return md;
}

function appendBinary(slots: Map<string, MetadataSlot>, key: string, value: string): void {
  if (value.indexOf(",") === -1) {
    appendSlot(slots, key, decodeBase64(key, value.trim()));
    return;
  }
  for (const part of value.split(",")) appendSlot(slots, key, decodeBase64(key, part.trim()));
}

function decodeBase64(key: string, s: string): Uint8Array {
  if (!isBase64(s)) throw new GrpcError(Code.INTERNAL, `invalid base64 in metadata "${key}"`);
  const b = Buffer.from(s, "base64");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Standard-alphabet base64, with or without padding. */
function isBase64(s: string): boolean {
  let end = s.length;
  if (end % 4 === 0 && end > 0 && s.charCodeAt(end - 1) === 61) {
    end--;
    if (s.charCodeAt(end - 1) === 61) end--;
  }
  if (end % 4 === 1) return false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 /* + */ || c === 47; /* / */
    if (!ok) return false;
  }
  return true;
}
