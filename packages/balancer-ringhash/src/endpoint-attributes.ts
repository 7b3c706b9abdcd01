/**
 * What ring_hash reads from a resolved endpoint's attributes: its hash key (gRFC A76's
 * `hash_key`) and its weight, both optional.
 */
import type { Endpoint } from "@grpckit/core";

/** The endpoint attribute naming the key an endpoint is placed on the ring by (gRFC A76). */
export const HASH_KEY_ATTRIBUTE = "hash_key";
/** The endpoint attribute giving an endpoint's share of the ring, a positive number (default 1). */
export const WEIGHT_ATTRIBUTE = "weight";

/** The `hash_key` attribute when it is a non-empty string, else the endpoint's first address. */
export function endpointHashKey(e: Endpoint): string {
  const key = e.attributes?.[HASH_KEY_ATTRIBUTE];
  return typeof key === "string" && key !== "" ? key : e.addresses[0].addr;
}

/** The `weight` attribute when it is a positive finite number, else 1. */
export function endpointWeight(e: Endpoint): number {
  const w = e.attributes?.[WEIGHT_ATTRIBUTE];
  return typeof w === "number" && Number.isFinite(w) && w > 0 ? w : 1;
}
