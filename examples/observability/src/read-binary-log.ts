/** Reads a binary log file back with the grpc.binarylog.v1 schema, and describes each entry in a line. */
import { createReadStream } from "node:fs";
import { sizeDelimitedDecodeStream } from "@bufbuild/protobuf/wire";
import { GrpcLogEntrySchema, GrpcLogEntry_EventType, GrpcLogEntry_Logger, type GrpcLogEntry } from "@grpckit/binarylog";

export async function readBinaryLog(path: string): Promise<GrpcLogEntry[]> {
  const entries: GrpcLogEntry[] = [];
  for await (const entry of sizeDelimitedDecodeStream(GrpcLogEntrySchema, createReadStream(path))) entries.push(entry);
  return entries;
}

/**
 * "call 3 #1 CLIENT CLIENT_HEADER /grpc.health.v1.Health/Check": the call id, the
 * sequence id, who logged it and what, with a header's method, a message's length, a
 * trailer's status and the peer's address where the entry has them.
 */
export function describeEntry(e: GrpcLogEntry): string {
  const p = e.payload;
  const detail =
    p.case === "clientHeader"
      ? ` ${p.value.methodName}`
      : p.case === "message"
        ? ` ${p.value.length} bytes`
        : p.case === "trailer"
          ? ` status ${p.value.statusCode}${p.value.statusMessage !== "" ? ` (${p.value.statusMessage})` : ""}`
          : "";
  const peer = e.peer !== undefined ? ` from ${e.peer.address}:${e.peer.ipPort}` : "";
  return `call ${e.callId} #${e.sequenceIdWithinCall} ${GrpcLogEntry_Logger[e.logger]} ${GrpcLogEntry_EventType[e.type]}${detail}${peer}`;
}
