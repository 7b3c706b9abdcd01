/**
 * gRPC over HTTP/2 wire details (doc/PROTOCOL-HTTP2.md, doc/http-grpc-status-mapping.md):
 * header names, content types, how trailers become a status and how HTTP and
 * RST_STREAM failures map to codes. The call layer above never spells a header name.
 */
import { Code } from "../status/code.js";
import { GrpcError, codeFromNumber } from "../status/grpc-error.js";
import { Metadata } from "../metadata/metadata.js";
import { headersToMetadata, metadataToHeaders } from "./metadata-headers.js";
import { decodeGrpcMessage, encodeGrpcMessage } from "./percent-encoding.js";
import { decodeStatusDetails, encodeStatusDetails } from "../status/status-details.js";
import { Http2ErrorCode, sharedHeaders, type Http2Headers } from "./http2.js";

export const H = {
  path: ":path",
  method: ":method",
  scheme: ":scheme",
  authority: ":authority",
  status: ":status",
  contentType: "content-type",
  te: "te",
  userAgent: "user-agent",
  timeout: "grpc-timeout",
  encoding: "grpc-encoding",
  acceptEncoding: "grpc-accept-encoding",
  grpcStatus: "grpc-status",
  grpcMessage: "grpc-message",
  statusDetails: "grpc-status-details-bin",
} as const;

export const userAgent = "grpckit-node/0.0.0";

export function contentTypeFor(codecName: string): string {
  return codecName === "proto" ? "application/grpc" : `application/grpc+${codecName}`;
}

/** Adds grpc-status, grpc-message and grpc-status-details-bin for `error` (or OK) to a header block. */
export function writeStatus(into: Http2Headers, error: GrpcError | undefined, trailer: Metadata | undefined): void {
  if (trailer !== undefined && trailer.size > 0) metadataToHeaders(trailer, into);
  if (error === undefined) {
    into[H.grpcStatus] = "0";
    return;
  }
  into[H.grpcStatus] = String(error.code);
  if (error.rawMessage !== "") into[H.grpcMessage] = encodeGrpcMessage(error.rawMessage);
  if (error.details.length > 0) {
    const bin = encodeStatusDetails(error.code, error.rawMessage, error.details);
    into[H.statusDetails] = Buffer.from(bin).toString("base64").replace(/=+$/, "");
  }
}

/**
 * Reads the status from trailers (or a trailers-only response). Returns undefined for
 * OK, a GrpcError otherwise; the trailing metadata goes to `trailer`.
 */
export function readStatus(headers: Http2Headers, trailer: Metadata): GrpcError | undefined {
  const raw = headers[H.grpcStatus];
  const rawStr = Array.isArray(raw) ? raw[0] : raw;
  if (rawStr === undefined) {
    return new GrpcError(Code.INTERNAL, "server ended the call without a grpc-status", { metadata: trailer });
  }
  // grpc-status is decimal digits only: "0x0", " 0" or "1e1" are not statuses.
  const n = typeof rawStr === "number" ? rawStr : /^\d{1,10}$/.test(rawStr) ? Number(rawStr) : NaN;
  if (!Number.isInteger(n)) {
    return new GrpcError(Code.UNKNOWN, `server sent an invalid grpc-status "${String(rawStr)}"`, { metadata: trailer });
  }
  if (n === 0) return undefined;
  const msgRaw = headers[H.grpcMessage];
  const message = typeof msgRaw === "string" ? decodeGrpcMessage(msgRaw) : "";
  const code = codeFromNumber(n);
  const detailsRaw = headers[H.statusDetails];
  let details = undefined;
  if (typeof detailsRaw === "string") {
    const decoded = decodeStatusDetails(Buffer.from(detailsRaw, "base64"));
    if (decoded !== undefined && decoded.code === n) details = decoded.details;
  }
  return new GrpcError(code, message, { metadata: trailer, details });
}

/** Reads trailing metadata and status together. */
export function readTrailers(headers: Http2Headers): { error: GrpcError | undefined; trailer: Metadata } {
  const trailer = headersToMetadata(headers);
  return { error: readStatus(headers, trailer), trailer };
}

/** The code for a non-200 HTTP status on a gRPC response (doc/http-grpc-status-mapping.md). */
export function codeForHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.INTERNAL;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.UNAVAILABLE;
    default:
      return Code.UNKNOWN;
  }
}

const rstNames: Record<number, string> = Object.fromEntries(
  Object.entries(Http2ErrorCode).map(([name, value]) => [value, name]),
);

/** Names an HTTP/2 error code: "INTERNAL_ERROR (0x2)". */
export function http2ErrorName(code: number): string {
  return `${rstNames[code] ?? "unknown error"} (0x${code.toString(16)})`;
}

/**
 * The status for a stream that was reset before trailers arrived, with a message that
 * says what happened rather than a bare code.
 */
export function statusForReset(rstCode: number | undefined, error: Error | undefined): GrpcError {
  if (error !== undefined && rstCode === Http2ErrorCode.PROTOCOL_ERROR) {
    // The transport found the exchange malformed (a response it cannot accept, a request
    // it cannot send) and says how.
    return new GrpcError(Code.INTERNAL, error.message, { cause: error });
  }
  if (error !== undefined && (rstCode === undefined || rstCode === Http2ErrorCode.INTERNAL_ERROR || rstCode === Http2ErrorCode.CANCEL)) {
    return new GrpcError(Code.UNAVAILABLE, `connection failed: ${error.message}`, { cause: error });
  }
  if (rstCode === undefined || rstCode === Http2ErrorCode.NO_ERROR) {
    return new GrpcError(Code.INTERNAL, "server closed the stream without sending trailers");
  }
  const what = `stream reset by the server with ${http2ErrorName(rstCode)}`;
  switch (rstCode) {
    case Http2ErrorCode.REFUSED_STREAM:
      return new GrpcError(Code.UNAVAILABLE, `${what}: the server did not process the request`);
    case Http2ErrorCode.CANCEL:
      return new GrpcError(Code.CANCELLED, what);
    case Http2ErrorCode.ENHANCE_YOUR_CALM:
      return new GrpcError(Code.RESOURCE_EXHAUSTED, `${what}: the server considers this client abusive`);
    case Http2ErrorCode.INADEQUATE_SECURITY:
      return new GrpcError(Code.PERMISSION_DENIED, `${what}: the connection's security is too weak`);
    default:
      return new GrpcError(Code.INTERNAL, what);
  }
}

export function firstHeader(headers: Http2Headers, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v[0];
  return String(v);
}

const responseHeadersByContentType = new Map<string, Http2Headers>();

/**
 * The response headers of a call with no header metadata and no compression: one
 * object per content type, marked `sharedHeaders`, so a transport may encode it once.
 */
export function sharedResponseHeaders(contentType: string): Http2Headers {
  let headers = responseHeadersByContentType.get(contentType);
  if (headers === undefined) {
    headers = { [H.status]: 200, [H.contentType]: contentType };
    Object.defineProperty(headers, sharedHeaders, { value: true });
    // Content types come from registered codecs, so the map stays small.
    responseHeadersByContentType.set(contentType, headers);
  }
  return headers;
}

/**
 * The trailers of an OK call with no trailer metadata, marked `sharedHeaders` as
 * sharedResponseHeaders are: one object, so a transport may encode it once.
 */
export const sharedOkTrailers: Http2Headers = { [H.grpcStatus]: "0" };
Object.defineProperty(sharedOkTrailers, sharedHeaders, { value: true });
