/**
 * The grpc-status-details-bin trailer: a google.rpc.Status message carrying the code,
 * the message and typed error details, binary encoded (base64 on the wire, by the
 * metadata rules for "-bin" keys).
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import type { Code } from "./code.js";
import { StatusSchema } from "../gen/google/rpc/status_pb.js";

/** A decoded google.rpc.Status. `code` is the number as sent, which may be outside {@link Code}. */
export interface StatusDetails {
  code: number;
  message: string;
  details: Any[];
}

/** Encodes a google.rpc.Status for the grpc-status-details-bin trailer. */
export function encodeStatusDetails(code: Code, message: string, details: Any[]): Uint8Array {
  return toBinary(StatusSchema, create(StatusSchema, { code, message, details }));
}

/** Decodes a grpc-status-details-bin value; undefined when the bytes are not a google.rpc.Status. */
export function decodeStatusDetails(bytes: Uint8Array): StatusDetails | undefined {
  try {
    const status = fromBinary(StatusSchema, bytes);
    return { code: status.code, message: status.message, details: status.details };
  } catch {
    return undefined;
  }
}
