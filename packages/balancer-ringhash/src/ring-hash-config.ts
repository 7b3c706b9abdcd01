/**
 * ring_hash's service-config settings (gRFC A42's RingHashLoadBalancingConfig, with
 * gRFC A76's request_hash_header), validated when the config arrives, never per call.
 */
import * as z from "zod";

/** The largest ring either bound may ask for (gRFC A42). */
export const MAX_RING_SIZE_CAP = 8 * 1024 * 1024;

export interface RingHashConfig {
  /** The fewest entries the ring gets. Default 1024, at most 8,388,608. */
  minRingSize: number;
  /** The most entries the ring gets. Default 4096, at most 8,388,608; not below `minRingSize`. */
  maxRingSize: number;
  /**
   * The request header whose value is hashed to choose an endpoint (gRFC A76),
   * lowercased; "" when none is named, and then every call gets a random hash.
   */
  requestHashHeader: string;
}

/** An HTTP/2 header name gRPC metadata may use: lowercase token characters, not a pseudo-header. */
const headerName = /^[0-9a-z_.-]+$/;

const ringSize = z.number().int().min(1).max(MAX_RING_SIZE_CAP);

export const ringHashConfigSchema: z.ZodType<RingHashConfig> = z
  .object({
    minRingSize: ringSize.default(1024),
    maxRingSize: ringSize.default(4096),
    requestHashHeader: z
      .string()
      .default("")
      .transform((s) => s.toLowerCase())
      .refine((s) => s === "" || headerName.test(s), {
        message: "requestHashHeader must be a header name (letters, digits, '-', '_', '.')",
      })
      .refine((s) => !s.endsWith("-bin"), {
        message: "requestHashHeader cannot name a binary (-bin) header; name a text header",
      }),
  })
  .refine((c) => c.minRingSize <= c.maxRingSize, {
    message: "minRingSize must not exceed maxRingSize",
    path: ["minRingSize"],
  }) as unknown as z.ZodType<RingHashConfig>;
