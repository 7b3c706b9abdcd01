/**
 * The parts of a GrpcLogEntry: metadata cut to the header limit, message bytes cut to
 * the message limit, a peer's address and an event's time, as gRFC A16 writes them.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { ReadonlyMetadata } from "@grpckit/core";
import {
  AddressSchema,
  Address_Type,
  MessageSchema,
  MetadataEntrySchema,
  MetadataSchema,
  type Address,
  type Message,
  type Metadata,
  type MetadataEntry,
} from "./gen/grpc/binlog/v1/binarylog_pb.js";

const utf8 = new TextEncoder();

/** Kept in the log whatever the limit, and not counted against it (gRFC A16). */
const traceKey = "grpc-trace-bin";

/** Metadata gRPC itself sets, which A16 leaves out of the log (grpc-trace-bin excepted). */
function isGrpcOwn(key: string): boolean {
  return (key.startsWith("grpc-") && key !== traceKey) || key.startsWith(":") || key === "user-agent" || key === "te" || key === "content-type";
}

/**
 * The application's metadata as logged: entries in order until the next one would take
 * the total of key and value bytes past `limit`; `truncated` when any was left out.
 */
export function loggedMetadata(md: ReadonlyMetadata, limit: number): { metadata: Metadata; truncated: boolean } {
  const entry: MetadataEntry[] = [];
  let left = limit;
  let truncated = false;
  for (const [key, value] of md) {
    if (isGrpcOwn(key)) continue;
    const bytes = typeof value === "string" ? utf8.encode(value) : value;
    if (key !== traceKey) {
      const size = key.length + bytes.byteLength;
      if (truncated || size > left) {
        truncated = true;
        continue;
      }
      left -= size;
    }
    entry.push(create(MetadataEntrySchema, { key, value: bytes }));
  }
  return { metadata: create(MetadataSchema, { entry }), truncated };
}

/** A message as logged: its full length, its bytes cut to `limit`. */
export function loggedMessage(length: number, data: () => Uint8Array, limit: number): { message: Message; truncated: boolean } {
  if (limit === 0) return { message: create(MessageSchema, { length }), truncated: length > 0 };
  const bytes = data();
  const truncated = bytes.byteLength > limit;
  return { message: create(MessageSchema, { length, data: truncated ? bytes.subarray(0, limit) : bytes }), truncated };
}

/** A peer as A16's Address: "1.2.3.4:80", "[::1]:80", "unix:/path" (or a bare path), else its text as TYPE_UNKNOWN. */
export function addressOf(peer: string): Address {
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(peer);
  if (v4 !== null) return create(AddressSchema, { type: Address_Type.IPV4, address: v4[1], ipPort: Number(v4[2]) });
  const v6 = /^\[([0-9a-fA-F:.]+)(?:%[^\]]*)?\]:(\d+)$/.exec(peer);
  if (v6 !== null) return create(AddressSchema, { type: Address_Type.IPV6, address: v6[1].toLowerCase(), ipPort: Number(v6[2]) });
  if (peer.startsWith("unix:")) return create(AddressSchema, { type: Address_Type.UNIX, address: peer.slice("unix:".length) });
  if (peer.startsWith("/")) return create(AddressSchema, { type: Address_Type.UNIX, address: peer });
  return create(AddressSchema, { type: Address_Type.UNKNOWN, address: peer });
}

export function timestampOf(ms: number): Timestamp {
  return timestampFromMs(ms);
}

export function timeoutOf(ms: number): Duration {
  return durationFromMs(Math.max(0, Math.round(ms)));
}
