/**
 * Decoded header fields turned into core's header object, with the checks RFC 9113
 * section 8.2 and 8.3 put on requests, responses and trailers. A check that fails
 * returns the reason as a string: the message is malformed, and its stream is reset
 * with PROTOCOL_ERROR.
 */
import type { Http2Headers } from "@grpckit/core";

/** Header fields that only make sense on HTTP/1.1 connections (RFC 9113 section 8.2.2). */
const connectionSpecific = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
const requestPseudo = new Set([":method", ":scheme", ":path", ":authority"]);

/** The kinds of header block a peer can send. */
export const BlockKind = { Request: 0, Response: 1, Trailers: 2 } as const;
export type BlockKind = (typeof BlockKind)[keyof typeof BlockKind];

/**
 * Builds the header object from a flat [name, value, ...] list, checking it as a
 * `kind` block. Repeated names become arrays, as node:http2 gives them.
 */
export function headersFromFields(fields: readonly string[], kind: BlockKind): Http2Headers | string {
  const headers = Object.create(null) as Http2Headers;
  let regularSeen = false;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i];
    const value = fields[i + 1];
    const bad = invalidValue(value);
    if (bad) return `the value of "${name}" ${bad}`;
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (regularSeen) return `pseudo-header "${name}" after a regular header`;
      if (kind === BlockKind.Trailers) return `pseudo-header "${name}" in trailers`;
      if (kind === BlockKind.Request ? !requestPseudo.has(name) : name !== ":status") return `pseudo-header "${name}" is not allowed here`;
      if (headers[name] !== undefined) return `pseudo-header "${name}" appears twice`;
      headers[name] = value;
      continue;
    }
    regularSeen = true;
    if (connectionSpecific.has(name)) return `connection-specific header "${name}"`;
    if (name === "te" && value !== "trailers") return `header "te" is "${value}", only "trailers" is allowed`;
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous as string, value];
  }
  if (kind === BlockKind.Request) {
    const method = headers[":method"];
    if (method === undefined) return "no :method";
    if (method === "CONNECT") {
      if (headers[":scheme"] !== undefined || headers[":path"] !== undefined) return "CONNECT with :scheme or :path";
      if (headers[":authority"] === undefined) return "CONNECT without :authority";
    } else {
      if (headers[":scheme"] === undefined) return "no :scheme";
      const path = headers[":path"];
      if (path === undefined || path === "") return "no :path";
    }
  } else if (kind === BlockKind.Response) {
    const status = headers[":status"];
    if (typeof status !== "string" || !/^[1-9]\d\d$/.test(status)) return status === undefined ? "no :status" : `:status "${String(status)}" is not a 3-digit code`;
  }
  const length = headers["content-length"];
  if (length !== undefined && (typeof length !== "string" || !/^\d{1,15}$/.test(length))) return `content-length "${String(length)}" is not one number`;
  return headers;
}

/** Bytes a field value may not hold anywhere, or at its ends (RFC 9113 section 8.2.1). */
const forbiddenInValue = /[\0\r\n]|^[ \t]|[ \t]$/;

/** Why a field value is not allowed, or "" when it is. */
function invalidValue(value: string): string {
  if (!forbiddenInValue.test(value)) return "";
  return /[\0\r\n]/.test(value) ? "holds NUL, CR or LF" : "starts or ends with whitespace";
}

/**
 * Appends core's header object to an encoder's block: pseudo-headers first, as HTTP/2
 * requires, numbers as decimal strings and arrays as repeated fields.
 */
export function encodeHeaders(headers: Http2Headers, field: (name: string, value: string) => void): void {
  const keys = Object.keys(headers);
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    if (name.charCodeAt(0) !== 0x3a) continue;
    const value = headers[name];
    if (value !== undefined) field(name, String(value));
  }
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    if (name.charCodeAt(0) === 0x3a) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === "string") field(name, value);
    else if (typeof value === "number") field(name, String(value));
    else for (const v of value) field(name, v);
  }
}

/** The list's size as SETTINGS_MAX_HEADER_LIST_SIZE counts it: name + value + 32 per field. */
export function headerListSize(headers: Http2Headers): number {
  let size = 0;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === "string") size += name.length + value.length + 32;
    else if (typeof value === "number") size += name.length + String(value).length + 32;
    else for (const v of value) size += name.length + v.length + 32;
  }
  return size;
}
