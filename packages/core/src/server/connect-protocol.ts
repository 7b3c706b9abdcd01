/**
 * The Connect protocol's wire details (connectrpc.com/docs/protocol): its content types,
 * header names, connect-timeout-ms, and how a status code reads as a Connect error code
 * and an HTTP status. The adapter streams use these to present a Connect request to the
 * server as the gRPC call it is, and to write the call's gRPC answer back as Connect.
 */
import { Code } from "../status/code.js";

/** Connect's header names, and the HTTP ones it gives a meaning. */
export const ConnectHeader = {
  protocolVersion: "connect-protocol-version",
  timeout: "connect-timeout-ms",
  /** A streaming request's and response's per-message compression. */
  streamEncoding: "connect-content-encoding",
  streamAcceptEncoding: "connect-accept-encoding",
  /** A unary request's and response's whole-body compression. */
  contentEncoding: "content-encoding",
  acceptEncoding: "accept-encoding",
  contentLength: "content-length",
  /** Prefix of a unary response's trailing metadata, sent as headers. */
  trailerPrefix: "trailer-",
} as const;

/** What a Connect request's content type says. */
export interface ConnectContentType {
  /** The codec: "proto", "json", or any registered codec's name. */
  readonly codecName: string;
  /** True for application/connect+<codec>: the body is enveloped messages. */
  readonly streaming: boolean;
  /** The content type of a successful response: the request's own, without parameters. */
  readonly responseType: string;
}

const applicationPrefix = "application/";
const streamingPrefix = "connect+";

/**
 * Parses a Connect content type: application/<codec> for unary calls,
 * application/connect+<codec> for streaming ones. Parameters after ";" (a JSON body's
 * charset) are ignored. Undefined when `contentType` cannot be Connect's.
 */
export function connectContentType(contentType: string): ConnectContentType | undefined {
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!type.startsWith(applicationPrefix)) return undefined;
  let codecName = type.slice(applicationPrefix.length);
  const streaming = codecName.startsWith(streamingPrefix);
  if (streaming) codecName = codecName.slice(streamingPrefix.length);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(codecName)) return undefined;
  return { codecName, streaming, responseType: type };
}

/** The content type of a Connect response for `codecName`. */
export function connectResponseType(codecName: string, streaming: boolean): string {
  return streaming ? `${applicationPrefix}${streamingPrefix}${codecName}` : `${applicationPrefix}${codecName}`;
}

/** A grpc-timeout value can hold 8 digits. */
const maxTimeoutDigits = 99_999_999;

/**
 * connect-timeout-ms (at most 10 digits of milliseconds) as the grpc-timeout value the
 * server reads; undefined when it is not a valid timeout.
 */
export function grpcTimeoutFromConnect(value: string): string | undefined {
  if (!/^\d{1,10}$/.test(value)) return undefined;
  const ms = Number(value);
  return ms <= maxTimeoutDigits ? `${ms}m` : `${Math.ceil(ms / 1000)}S`;
}

/** Connect's error codes: gRPC's names in snake case, "canceled" spelled as Connect spells it. */
const codeNames: Record<Code, string> = {
  [Code.OK]: "ok",
  [Code.CANCELLED]: "canceled",
  [Code.UNKNOWN]: "unknown",
  [Code.INVALID_ARGUMENT]: "invalid_argument",
  [Code.DEADLINE_EXCEEDED]: "deadline_exceeded",
  [Code.NOT_FOUND]: "not_found",
  [Code.ALREADY_EXISTS]: "already_exists",
  [Code.PERMISSION_DENIED]: "permission_denied",
  [Code.RESOURCE_EXHAUSTED]: "resource_exhausted",
  [Code.FAILED_PRECONDITION]: "failed_precondition",
  [Code.ABORTED]: "aborted",
  [Code.OUT_OF_RANGE]: "out_of_range",
  [Code.UNIMPLEMENTED]: "unimplemented",
  [Code.INTERNAL]: "internal",
  [Code.UNAVAILABLE]: "unavailable",
  [Code.DATA_LOSS]: "data_loss",
  [Code.UNAUTHENTICATED]: "unauthenticated",
};

/** The HTTP status of a unary Connect error, by the spec's table. */
const httpStatuses: Record<Code, number> = {
  [Code.OK]: 200,
  [Code.CANCELLED]: 499,
  [Code.UNKNOWN]: 500,
  [Code.INVALID_ARGUMENT]: 400,
  [Code.DEADLINE_EXCEEDED]: 504,
  [Code.NOT_FOUND]: 404,
  [Code.ALREADY_EXISTS]: 409,
  [Code.PERMISSION_DENIED]: 403,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.FAILED_PRECONDITION]: 400,
  [Code.ABORTED]: 409,
  [Code.OUT_OF_RANGE]: 400,
  [Code.UNIMPLEMENTED]: 501,
  [Code.INTERNAL]: 500,
  [Code.UNAVAILABLE]: 503,
  [Code.DATA_LOSS]: 500,
  [Code.UNAUTHENTICATED]: 401,
};

/** The Connect name of a code ("not_found"); a code outside the table is "unknown". */
export function connectCodeName(code: Code): string {
  return codeNames[code] ?? "unknown";
}

/** The HTTP status a unary Connect error with `code` is answered with. */
export function connectHttpStatus(code: Code): number {
  return httpStatuses[code] ?? 500;
}
