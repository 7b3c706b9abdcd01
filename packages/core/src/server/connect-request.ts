/**
 * Recognises a Connect request (connectrpc.com/docs/protocol) and opens it as a gRPC
 * call: its headers are rewritten as the gRPC headers they mean (the path without its
 * query, the codec as a gRPC content type, connect-timeout-ms as grpc-timeout, its
 * compression headers as gRPC's), and the stream is wrapped in the adapter for a unary
 * or a streaming call. The server then runs it as any gRPC call: taps, limits,
 * interceptors, handlers, channelz and stats see no difference.
 */
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { GrpcError } from "../status/grpc-error.js";
import type { Codec } from "../wire/codec.js";
import { H, contentTypeFor, firstHeader } from "../wire/protocol.js";
import { codecRegistry } from "../registries.js";
import type { Http2Headers, ServerTransportStream } from "../transport/transport.js";
import { ConnectHeader, connectContentType, connectResponseType, grpcTimeoutFromConnect } from "./connect-protocol.js";
import { ConnectStreamingServerStream } from "./connect-streaming-stream.js";
import { ConnectUnaryServerStream } from "./connect-unary-stream.js";

/** A Connect request opened as a gRPC call. */
export interface ConnectRequest {
  /** The adapter stream the call runs on; it answers in Connect's form. */
  readonly stream: ServerTransportStream;
  /** The request's codec; a message it cannot parse is INVALID_ARGUMENT, as Connect has it. */
  readonly codec: Codec;
  readonly codecName: string;
  /** The content type of a successful response. */
  readonly contentType: string;
  /** Set when the request is malformed: the call is refused with it, on `stream`. */
  readonly error?: GrpcError;
}

/** The request headers a Connect request has in place of gRPC's, and gRPC's own a Connect peer does not set. */
const connectOwn = new Set<string>([
  ConnectHeader.protocolVersion,
  ConnectHeader.timeout,
  ConnectHeader.streamEncoding,
  ConnectHeader.streamAcceptEncoding,
  ConnectHeader.contentEncoding,
  ConnectHeader.acceptEncoding,
  ConnectHeader.contentLength,
  H.contentType,
  H.timeout,
  H.encoding,
  H.acceptEncoding,
]);

/**
 * Opens `stream` as a Connect call when its method and content type are Connect's.
 * Undefined when they are not (the server answers 415, as for any unknown content
 * type); null when the request was refused here with an HTTP status (405, or 415 for a
 * unary method called with a streaming content type and the reverse).
 *
 * @param method the registered method at a path, to check GET and the content type against
 */
export function openConnectRequest(
  stream: ServerTransportStream,
  contentType: string,
  method: (path: string) => DescMethod | undefined,
  maxRequestBytes: number,
): ConnectRequest | null | undefined {
  const headers = stream.headers;
  const httpMethod = firstHeader(headers, H.method);
  const target = firstHeader(headers, H.path) ?? "";
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  if (httpMethod === "GET") return contentType === "" && q !== -1 ? openGet(stream, path, target.slice(q + 1), method(path), maxRequestBytes) : undefined;
  const type = connectContentType(contentType);
  if (type === undefined) return undefined;
  const codec = codecRegistry.get(type.codecName);
  if (codec === undefined) return undefined;
  if (httpMethod !== "POST") {
    refuse(stream, 405, `HTTP method ${String(httpMethod)} is not allowed: Connect calls use POST, or GET for methods without side effects`);
    return null;
  }
  const desc = method(path);
  if (desc !== undefined && (desc.methodKind !== "unary") !== type.streaming) {
    const want = connectResponseType(type.codecName, !type.streaming);
    refuse(stream, 415, `${desc.parent.typeName}/${desc.name} is a ${desc.methodKind} method: call it with content-type ${want}, not ${type.responseType}`);
    return null;
  }
  const encoding = firstHeader(headers, type.streaming ? ConnectHeader.streamEncoding : ConnectHeader.contentEncoding);
  const accept = firstHeader(headers, type.streaming ? ConnectHeader.streamAcceptEncoding : ConnectHeader.acceptEncoding);
  const timeout = firstHeader(headers, ConnectHeader.timeout);
  const grpcTimeout = timeout === undefined ? undefined : grpcTimeoutFromConnect(timeout);
  const grpc = grpcHeaders(headers, path, type.codecName, encoding, accept, grpcTimeout);
  const compressed = encoding !== undefined && encoding !== "identity";
  const adapter = type.streaming
    ? new ConnectStreamingServerStream(stream, grpc, type.responseType)
    : new ConnectUnaryServerStream(stream, grpc, type.responseType, maxRequestBytes, compressed, undefined);
  const opened = { stream: adapter, codec: connectCodec(codec), codecName: type.codecName, contentType: type.responseType };
  const version = firstHeader(headers, ConnectHeader.protocolVersion);
  if (version !== undefined && version !== "1") {
    return { ...opened, error: new GrpcError(Code.INVALID_ARGUMENT, `connect-protocol-version must be "1": got "${version}"`) };
  }
  if (timeout !== undefined && grpcTimeout === undefined) return { ...opened, error: badTimeout(timeout) };
  return opened;
}

/** A unary call as a GET: `?connect=v1&encoding=json&message=...&base64=1&compression=gzip`. */
function openGet(
  stream: ServerTransportStream,
  path: string,
  query: string,
  desc: DescMethod | undefined,
  maxRequestBytes: number,
): ConnectRequest | null | undefined {
  const params = queryParams(query);
  const codecName = params.get("encoding");
  // Without an encoding this is no Connect GET.
  if (codecName === undefined) return undefined;
  const codec = codecRegistry.get(codecName);
  if (codec === undefined) return undefined;
  if (desc !== undefined && (desc.methodKind !== "unary" || desc.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS)) {
    refuse(stream, 405, `${desc.parent.typeName}/${desc.name} cannot be called with GET: only unary methods with idempotency_level = NO_SIDE_EFFECTS can; use POST`);
    return null;
  }
  const responseType = connectResponseType(codecName, false);
  const compression = params.get("compression");
  const timeout = firstHeader(stream.headers, ConnectHeader.timeout);
  const grpcTimeout = timeout === undefined ? undefined : grpcTimeoutFromConnect(timeout);
  const accept = firstHeader(stream.headers, ConnectHeader.acceptEncoding);
  const grpc = grpcHeaders(stream.headers, path, codecName, compression, accept, grpcTimeout);
  let message: Uint8Array = new Uint8Array(0);
  let error: GrpcError | undefined;
  const connect = params.get("connect");
  if (connect !== undefined && connect !== "v1") {
    error = new GrpcError(Code.INVALID_ARGUMENT, `the query's connect must be "v1": got "${connect}"`);
  } else if (timeout !== undefined && grpcTimeout === undefined) {
    error = badTimeout(timeout);
  } else {
    const raw = params.get("message");
    if (raw !== undefined) {
      const decoded = percentDecode(raw);
      if (decoded === undefined) {
        error = new GrpcError(Code.INVALID_ARGUMENT, "the query's message is not valid percent-encoding");
      } else if (params.get("base64") === "1") {
        const text = decoded.toString("latin1");
        if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) error = new GrpcError(Code.INVALID_ARGUMENT, "the query's message is not valid base64 (base64=1)");
        else message = Buffer.from(text, "base64");
      } else {
        message = decoded;
      }
    }
  }
  const compressed = compression !== undefined && compression !== "identity";
  const adapter = new ConnectUnaryServerStream(stream, grpc, responseType, maxRequestBytes, compressed, message);
  return { stream: adapter, codec: connectCodec(codec), codecName, contentType: responseType, ...(error !== undefined ? { error } : {}) };
}

function badTimeout(value: string): GrpcError {
  return new GrpcError(Code.INVALID_ARGUMENT, `connect-timeout-ms "${value}" is not a timeout: it must be 1 to 10 digits of milliseconds`);
}

/** The gRPC headers a Connect request means: its own headers (its metadata) with Connect's replaced by gRPC's. */
function grpcHeaders(
  headers: Http2Headers,
  path: string,
  codecName: string,
  encoding: string | undefined,
  acceptEncoding: string | undefined,
  timeout: string | undefined,
): Http2Headers {
  const out: Http2Headers = {};
  for (const name of Object.keys(headers)) {
    if (connectOwn.has(name)) continue;
    // "__proto__" assigned would set the object's prototype instead.
    if (name === "__proto__") Object.defineProperty(out, name, { value: headers[name], enumerable: true, writable: true, configurable: true });
    else out[name] = headers[name];
  }
  out[H.method] = "POST";
  out[H.path] = path;
  out[H.contentType] = contentTypeFor(codecName);
  if (encoding !== undefined && encoding !== "identity") out[H.encoding] = encoding;
  if (acceptEncoding !== undefined) out[H.acceptEncoding] = encodingNames(acceptEncoding);
  if (timeout !== undefined) out[H.timeout] = timeout;
  return out;
}

/** An HTTP accept-encoding list ("gzip, br;q=0.5") as gRPC's (names only, comma-separated). */
function encodingNames(accept: string): string {
  const names: string[] = [];
  for (const part of accept.split(",")) {
    const semi = part.indexOf(";");
    const name = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (name !== "") names.push(name);
  }
  return names.join(",");
}

/** A query's parameters, values still percent-encoded; the first of a repeated name wins. */
function queryParams(query: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (!params.has(name)) params.set(name, eq === -1 ? "" : pair.slice(eq + 1));
  }
  return params;
}

/** Percent-decodes a query value to bytes ("+" is a space); undefined when a "%" is not followed by two hex digits. */
function percentDecode(value: string): Buffer | undefined {
  if (value.indexOf("%") === -1 && value.indexOf("+") === -1) return Buffer.from(value, "utf8");
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 37 /* % */) {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === 43 /* + */) {
      bytes.push(32);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      for (const b of Buffer.from(value[i], "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

const connectCodecs = new WeakMap<Codec, Codec>();

/** `codec` with its parse failures as INVALID_ARGUMENT: to Connect, a bad request message is the client's error. */
function connectCodec(codec: Codec): Codec {
  let wrapped = connectCodecs.get(codec);
  if (wrapped === undefined) {
    wrapped = {
      name: codec.name,
      encode: (schema, message) => codec.encode(schema, message),
      decode: (schema, data) => {
        try {
          return codec.decode(schema, data);
        } catch (e) {
          throw new GrpcError(Code.INVALID_ARGUMENT, `failed to parse request message: ${e instanceof Error ? e.message : String(e)}`);
        }
      },
    };
    connectCodecs.set(codec, wrapped);
  }
  return wrapped;
}

/** Answers a request that cannot be a Connect call for this method with an HTTP status and plain text. */
function refuse(stream: ServerTransportStream, status: number, message: string): void {
  const headers: Http2Headers = { [H.status]: status, [H.contentType]: "text/plain; charset=utf-8" };
  if (status === 405) headers.allow = "POST";
  stream.sendHeaders(headers, false);
  stream.write(Buffer.from(message, "utf8"));
  stream.sendTrailers({});
}
