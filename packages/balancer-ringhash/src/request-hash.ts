/**
 * The hash a call is placed on the ring by (gRFC A76): XXH64 of the configured
 * header's values joined with ",", or a random hash when no header is configured or
 * the call does not carry it.
 */
import type { ReadonlyMetadata } from "@grpckit/core";
import { xxHash64 } from "./xxhash64.js";

/** A request's hash, and whether it was drawn at random (which changes how picks walk the ring). */
export interface RequestHash {
  readonly hash: bigint;
  readonly random: boolean;
}

export function requestHash(metadata: ReadonlyMetadata, header: string): RequestHash {
  if (header !== "") {
    const values = metadata.getAll(header).filter((v): v is string => typeof v === "string");
    if (values.length > 0) return { hash: xxHash64(values.join(",")), random: false };
  }
  return { hash: randomHash(), random: true };
}

function randomHash(): bigint {
  const hi = BigInt(Math.floor(Math.random() * 0x1_0000_0000));
  const lo = BigInt(Math.floor(Math.random() * 0x1_0000_0000));
  return (hi << 32n) | lo;
}
