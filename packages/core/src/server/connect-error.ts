/**
 * A call's gRPC ending as Connect writes it: the error JSON object
 * (`{"code":"not_found","message":...,"details":[{"type":...,"value":...}]}`), the
 * metadata of a header block, and a streaming response's end-of-stream message.
 */
import { GrpcError } from "../status/grpc-error.js";
import { Metadata } from "../metadata/metadata.js";
import type { Http2Headers } from "../transport/transport.js";
import { H, readStatus } from "../wire/protocol.js";
import { connectCodeName } from "./connect-protocol.js";

/** One metadata entry as a header block carries it: a text value, or several. */
export type HeaderEntry = readonly [name: string, value: string | string[]];

/** Names in a gRPC response header block that are the protocol's, not metadata. */
const grpcOwn = new Set<string>([H.contentType, H.grpcStatus, H.grpcMessage, H.statusDetails, H.encoding, H.acceptEncoding, "content-length"]);

/** The metadata of a gRPC response header block: every field but pseudo-headers and gRPC's own. */
export function metadataEntries(headers: Http2Headers): HeaderEntry[] {
  const entries: HeaderEntry[] = [];
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) === 58 /* ":" */ || grpcOwn.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    entries.push([name, Array.isArray(value) ? value.map(String) : String(value)]);
  }
  return entries;
}

/** The status in a gRPC header block: undefined for OK. */
export function statusOf(headers: Http2Headers): GrpcError | undefined {
  return readStatus(headers, new Metadata());
}

/** The JSON of a Connect error: its code's name, its message, and its details as type and base64 value. */
export interface ConnectErrorJson {
  code: string;
  message?: string;
  details?: { type: string; value: string }[];
}

/** `error` as Connect's error JSON. */
export function connectErrorJson(error: GrpcError): ConnectErrorJson {
  const json: ConnectErrorJson = { code: connectCodeName(error.code) };
  if (error.rawMessage !== "") json.message = error.rawMessage;
  if (error.details.length > 0) {
    json.details = error.details.map((any) => ({
      // "type.googleapis.com/google.rpc.BadRequest" names google.rpc.BadRequest.
      type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
      value: Buffer.from(any.value).toString("base64").replace(/=+$/, ""),
    }));
  }
  return json;
}

/** The flags byte of a streaming response's last message. */
const endStreamFlag = 0x02;

/**
 * A streaming response's end-of-stream message: flag 0x02 and the JSON
 * `{"error":{...},"metadata":{"key":["value"]}}`, each member present when it has content.
 */
export function encodeEndStream(error: GrpcError | undefined, trailer: readonly HeaderEntry[]): Uint8Array {
  const json: { error?: ConnectErrorJson; metadata?: Record<string, string[]> } = {};
  if (error !== undefined) json.error = connectErrorJson(error);
  if (trailer.length > 0) {
    const metadata: Record<string, string[]> = Object.create(null);
    for (const [name, value] of trailer) metadata[name] = Array.isArray(value) ? value : [value];
    json.metadata = metadata;
  }
  const body = Buffer.from(JSON.stringify(json), "utf8");
  const frame = Buffer.allocUnsafe(5 + body.byteLength);
  frame[0] = endStreamFlag;
  frame.writeUInt32BE(body.byteLength, 1);
  body.copy(frame, 5);
  return frame;
}
