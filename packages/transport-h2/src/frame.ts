/**
 * HTTP/2 frames (RFC 9113 section 4 and 6): types, flags, error codes, settings
 * identifiers, and the functions that write each frame into a Buffer.
 */
import { Http2ErrorCode } from "@grpckit/core";

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 section 7), as core names them. */
export const ErrorCode = Http2ErrorCode;

/** SETTINGS parameters (RFC 9113 section 6.5.2). */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** The client connection preface (RFC 9113 section 3.4). */
export const connectionPreface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const frameHeaderLength = 9;
/** The initial and smallest allowed SETTINGS_MAX_FRAME_SIZE. */
export const minMaxFrameSize = 16_384;
/** The largest allowed SETTINGS_MAX_FRAME_SIZE (2^24 - 1). */
export const maxMaxFrameSize = 16_777_215;
/** The initial flow-control window of a connection and of each stream. */
export const defaultInitialWindowSize = 65_535;
/** The largest flow-control window (2^31 - 1). */
export const maxWindowSize = 2_147_483_647;

/** Writes the 9-byte frame header at `offset`. */
export function writeFrameHeader(buf: Buffer, offset: number, length: number, type: number, flags: number, streamId: number): void {
  buf[offset] = (length >>> 16) & 0xff;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf.writeUInt32BE(streamId & 0x7fffffff, offset + 5);
}

/** A frame with `payload`, header and payload in one Buffer. */
export function frame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload?.byteLength ?? 0;
  const buf = Buffer.allocUnsafe(frameHeaderLength + length);
  writeFrameHeader(buf, 0, length, type, flags, streamId);
  if (payload !== undefined) buf.set(payload, frameHeaderLength);
  return buf;
}

/** A SETTINGS frame with the given [id, value] pairs, or an empty ACK. */
export function settingsFrame(settings: readonly (readonly [number, number])[], ack = false): Buffer {
  const buf = Buffer.allocUnsafe(frameHeaderLength + settings.length * 6);
  writeFrameHeader(buf, 0, settings.length * 6, FrameType.SETTINGS, ack ? Flag.ACK : 0, 0);
  let o = frameHeaderLength;
  for (const [id, value] of settings) {
    buf.writeUInt16BE(id, o);
    buf.writeUInt32BE(value >>> 0, o + 2);
    o += 6;
  }
  return buf;
}

export function pingFrame(opaque: Uint8Array, ack: boolean): Buffer {
  return frame(FrameType.PING, ack ? Flag.ACK : 0, 0, opaque);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const buf = Buffer.allocUnsafe(frameHeaderLength + 4);
  writeFrameHeader(buf, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  buf.writeUInt32BE(increment & 0x7fffffff, frameHeaderLength);
  return buf;
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const buf = Buffer.allocUnsafe(frameHeaderLength + 4);
  writeFrameHeader(buf, 0, 4, FrameType.RST_STREAM, 0, streamId);
  buf.writeUInt32BE(code >>> 0, frameHeaderLength);
  return buf;
}

export function goawayFrame(lastStreamId: number, code: number, debug?: string): Buffer {
  const debugBytes = debug === undefined ? undefined : Buffer.from(debug, "utf8");
  const length = 8 + (debugBytes?.byteLength ?? 0);
  const buf = Buffer.allocUnsafe(frameHeaderLength + length);
  writeFrameHeader(buf, 0, length, FrameType.GOAWAY, 0, 0);
  buf.writeUInt32BE(lastStreamId & 0x7fffffff, frameHeaderLength);
  buf.writeUInt32BE(code >>> 0, frameHeaderLength + 4);
  if (debugBytes !== undefined) buf.set(debugBytes, frameHeaderLength + 8);
  return buf;
}

/**
 * HEADERS, followed by CONTINUATION frames when the block is larger than
 * `maxFrameSize`, as one Buffer.
 */
export function headersFrames(streamId: number, block: Uint8Array, endStream: boolean, maxFrameSize: number): Buffer {
  const count = Math.max(1, Math.ceil(block.byteLength / maxFrameSize));
  const buf = Buffer.allocUnsafe(count * frameHeaderLength + block.byteLength);
  let o = 0;
  for (let i = 0; i < count; i++) {
    const start = i * maxFrameSize;
    const end = Math.min(block.byteLength, start + maxFrameSize);
    const last = i === count - 1;
    const type = i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
    const flags = (last ? Flag.END_HEADERS : 0) | (i === 0 && endStream ? Flag.END_STREAM : 0);
    writeFrameHeader(buf, o, end - start, type, flags, streamId);
    buf.set(block.subarray(start, end), o + frameHeaderLength);
    o += frameHeaderLength + end - start;
  }
  return buf;
}
