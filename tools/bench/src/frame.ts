/**
 * gRPC's length-prefixed message framing (1 byte compressed flag, 4 bytes big-endian
 * length, the message), as the raw node:http2 server and client need it.
 */

/** Bytes before each message: the compressed flag and the length. */
export const FRAME_HEADER_BYTES = 5;

/** Frames `message` uncompressed. */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Splits a byte stream into whole frames. A chunk that holds whole frames is passed on
 * without copying; only frames cut across chunks are joined.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Feeds `chunk` and calls `onFrame` for each frame completed by it, in order. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let data = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (!this.hasWholeFrame()) return;
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let offset = 0;
    while (data.length - offset >= FRAME_HEADER_BYTES) {
      const end = offset + FRAME_HEADER_BYTES + data.readUInt32BE(offset + 1);
      if (end > data.length) break;
      onFrame(data.subarray(offset, end));
      offset = end;
    }
    if (offset < data.length) {
      this.pending.push(data.subarray(offset));
      this.pendingBytes = data.length - offset;
    }
  }

  /** Bytes received that do not yet form a whole frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  private hasWholeFrame(): boolean {
    if (this.pendingBytes < FRAME_HEADER_BYTES) return false;
    const head = this.pending[0].length >= FRAME_HEADER_BYTES
      ? this.pending[0]
      : Buffer.concat(this.pending, this.pendingBytes);
    return this.pendingBytes >= FRAME_HEADER_BYTES + head.readUInt32BE(1);
  }
}
