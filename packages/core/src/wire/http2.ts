/**
 * What gRPC uses of HTTP/2 itself (RFC 9113): the header block as core and every
 * transport pass it, the mark of a header block shared by many streams, and the error
 * codes of RST_STREAM and GOAWAY.
 */

/** HTTP/2 header block as node:http2 shapes it: lowercase names, pseudo-headers included. */
export type Http2Headers = Record<string, string | string[] | number | undefined>;

/**
 * Set (to true) on a header object core passes unchanged for many streams, such as the
 * response headers of every call without metadata or compression. Such an object is
 * never changed after it is made, so a transport may cache its encoding.
 */
export const sharedHeaders: unique symbol = Symbol.for("grpckit.sharedHeaders");

/** HTTP/2 error codes used by RST_STREAM and GOAWAY (RFC 9113 section 7). */
export const Http2ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
