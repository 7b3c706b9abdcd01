/**
 * Reads HTTP/2 frames from a byte stream (RFC 9113 section 4): checks what can be
 * checked without connection state (sizes, stream ids, padding, the header block
 * sequence, the preface and the first SETTINGS), strips padding and priority fields,
 * joins HEADERS with its CONTINUATION frames, and hands each frame to a handler.
 * Anything malformed ends in one onConnectionError call; nothing is thrown.
 */
import { ErrorCode, Flag, FrameType, connectionPreface, frameHeaderLength } from "./frame.js";

export interface FrameHandler {
  /** `flowLength` is the whole frame payload (padding included), which flow control counts. */
  onData(streamId: number, endStream: boolean, data: Buffer, flowLength: number): void;
  /** A complete header block (HEADERS plus CONTINUATIONs). `dependsOn` when it carried a priority. */
  onHeaders(streamId: number, endStream: boolean, block: Buffer, dependsOn: number | undefined): void;
  onPriority(streamId: number, dependsOn: number): void;
  /** The stream must be reset with RST_STREAM(code); the connection carries on. */
  onStreamError(streamId: number, code: number, message: string): void;
  onRstStream(streamId: number, code: number): void;
  /** `params` holds 6-byte entries; empty for an ACK. */
  onSettings(ack: boolean, params: Buffer): void;
  onPushPromise(streamId: number, promisedId: number, block: Buffer): void;
  onPing(ack: boolean, opaque: Buffer): void;
  onGoaway(lastStreamId: number, code: number, debug: Buffer): void;
  onWindowUpdate(streamId: number, increment: number): void;
  /** The connection must end with GOAWAY(code); no more frames are delivered. */
  onConnectionError(code: number, message: string): void;
}

export interface FrameReaderOptions {
  /** Our SETTINGS_MAX_FRAME_SIZE: larger frames are a FRAME_SIZE_ERROR. */
  maxFrameSize: number;
  /** Expect the client preface first (the server side). */
  expectPreface: boolean;
  /** The largest header block accepted, across CONTINUATION frames (an HPACK bomb's input is bounded here). */
  maxHeaderBlockBytes: number;
  /** At most this many CONTINUATION frames per header block (CONTINUATION floods). */
  maxContinuationFrames: number;
}

export class FrameReader {
  /** A frame begun in an earlier chunk: its pieces, their size, and the frame's whole size once its header is known (else 0). */
  private pendingParts: Buffer[] = [];
  private pendingBytes = 0;
  private pendingTotal = 0;
  private prefaceLeft: number;
  private firstFrameSeen = false;
  private failed = false;
  /** The stream whose header block is being continued, 0 when none. */
  private continuing = 0;
  private continuingEndStream = false;
  private continuingDependsOn: number | undefined;
  private continuingPromised = 0;
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;

  constructor(
    private readonly handler: FrameHandler,
    private readonly options: FrameReaderOptions,
  ) {
    this.prefaceLeft = options.expectPreface ? connectionPreface.byteLength : 0;
  }

  /** Our SETTINGS_MAX_FRAME_SIZE once the peer acknowledged a new value. */
  set maxFrameSize(size: number) {
    this.options.maxFrameSize = size;
  }

  push(chunk: Buffer): void {
    if (this.failed) return;
    let offset = 0;
    if (this.prefaceLeft > 0) {
      const start = connectionPreface.byteLength - this.prefaceLeft;
      const n = Math.min(this.prefaceLeft, chunk.byteLength);
      for (let i = 0; i < n; i++) {
        if (chunk[i] !== connectionPreface[start + i]) {
          this.fail(ErrorCode.PROTOCOL_ERROR, "the connection did not start with the HTTP/2 client preface");
          return;
        }
      }
      this.prefaceLeft -= n;
      offset = n;
    }
    if (this.pendingBytes > 0) {
      offset = this.completePending(chunk, offset);
      if (offset < 0) return;
    }
    this.parse(chunk, offset);
  }

  /**
   * Adds what the frame begun in an earlier chunk still needs, and dispatches it when
   * complete: only that frame's bytes are joined, never the rest of the chunk. Returns
   * where the chunk continues, or -1 when it was used up.
   */
  private completePending(chunk: Buffer, offset: number): number {
    if (this.pendingBytes < frameHeaderLength) {
      const take = Math.min(frameHeaderLength - this.pendingBytes, chunk.byteLength - offset);
      this.pendingParts.push(chunk.subarray(offset, offset + take));
      this.pendingBytes += take;
      offset += take;
      if (this.pendingBytes < frameHeaderLength) return -1;
      const head = Buffer.concat(this.pendingParts, this.pendingBytes);
      this.pendingParts = [head];
      if (!this.startPending(head)) return -1;
    }
    const need = this.pendingTotal - this.pendingBytes;
    const available = chunk.byteLength - offset;
    if (available < need) {
      if (available > 0) this.pendingParts.push(chunk.subarray(offset));
      this.pendingBytes += available;
      return -1;
    }
    this.pendingParts.push(chunk.subarray(offset, offset + need));
    const frame = Buffer.concat(this.pendingParts, this.pendingTotal);
    this.pendingParts = [];
    this.pendingBytes = 0;
    this.pendingTotal = 0;
    this.parse(frame, 0);
    return this.failed ? -1 : offset + need;
  }

  /** Reads the length of a pending frame from its header; false after a connection error. */
  private startPending(head: Buffer): boolean {
    const length = (head[0] << 16) | (head[1] << 8) | head[2];
    if (length > this.options.maxFrameSize) {
      this.fail(ErrorCode.FRAME_SIZE_ERROR, `a frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${this.options.maxFrameSize}`);
      return false;
    }
    this.pendingTotal = frameHeaderLength + length;
    return true;
  }

  /** Dispatches every whole frame in `buf` from `offset`; a partial one at the end waits for more. */
  private parse(buf: Buffer, offset: number): void {
    while (!this.failed) {
      if (buf.byteLength - offset < frameHeaderLength) break;
      const length = (buf[offset] << 16) | (buf[offset + 1] << 8) | buf[offset + 2];
      if (length > this.options.maxFrameSize) {
        this.fail(ErrorCode.FRAME_SIZE_ERROR, `a frame of ${length} bytes exceeds SETTINGS_MAX_FRAME_SIZE ${this.options.maxFrameSize}`);
        return;
      }
      if (buf.byteLength - offset < frameHeaderLength + length) break;
      const type = buf[offset + 3];
      const flags = buf[offset + 4];
      const streamId = buf.readUInt32BE(offset + 5) & 0x7fffffff;
      const payload = buf.subarray(offset + frameHeaderLength, offset + frameHeaderLength + length);
      offset += frameHeaderLength + length;
      this.dispatch(type, flags, streamId, payload);
    }
    if (this.failed || offset >= buf.byteLength) return;
    // The rest is kept as a view: socket chunks are not reused, so nothing is copied until the frame is whole.
    const rest = buf.subarray(offset);
    this.pendingParts = [rest];
    this.pendingBytes = rest.byteLength;
    this.pendingTotal = 0;
    if (rest.byteLength >= frameHeaderLength) this.startPending(rest);
  }

  /** Stops reading: later input, and the rest of the current chunk, are ignored. */
  stop(): void {
    this.failed = true;
    this.pendingParts = [];
    this.fragments = [];
  }

  private fail(code: number, message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.pendingParts = [];
    this.fragments = [];
    this.handler.onConnectionError(code, message);
  }

  private dispatch(type: number, flags: number, streamId: number, payload: Buffer): void {
    const h = this.handler;
    if (!this.firstFrameSeen) {
      this.firstFrameSeen = true;
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0) {
        this.fail(ErrorCode.PROTOCOL_ERROR, "the first frame was not SETTINGS");
        return;
      }
    }
    if (this.continuing !== 0) {
      if (type !== FrameType.CONTINUATION || streamId !== this.continuing) {
        this.fail(ErrorCode.PROTOCOL_ERROR, `a header block on stream ${this.continuing} was interrupted by another frame`);
        return;
      }
      this.continuation(flags, payload);
      return;
    }
    switch (type) {
      case FrameType.DATA: {
        if (streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
        const data = this.unpad(flags, payload, "DATA");
        if (data !== undefined) h.onData(streamId, (flags & Flag.END_STREAM) !== 0, data, payload.byteLength);
        return;
      }
      case FrameType.HEADERS: {
        if (streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
        let block = this.unpad(flags, payload, "HEADERS");
        if (block === undefined) return;
        let dependsOn: number | undefined;
        if ((flags & Flag.PRIORITY) !== 0) {
          if (block.byteLength < 5) {
            // With padding, it is the padding that leaves no room: RFC 9113 section 6.2 makes that a PROTOCOL_ERROR.
            if ((flags & Flag.PADDED) !== 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "HEADERS padding leaves no room for its priority fields");
            return this.fail(ErrorCode.FRAME_SIZE_ERROR, "HEADERS too short for its priority fields");
          }
          dependsOn = block.readUInt32BE(0) & 0x7fffffff;
          block = block.subarray(5);
        }
        const endStream = (flags & Flag.END_STREAM) !== 0;
        if ((flags & Flag.END_HEADERS) !== 0) {
          if (block.byteLength > this.options.maxHeaderBlockBytes) return this.tooLarge();
          h.onHeaders(streamId, endStream, block, dependsOn);
          return;
        }
        this.startBlock(streamId, endStream, dependsOn, 0, block);
        return;
      }
      case FrameType.PRIORITY:
        if (streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (payload.byteLength !== 5) {
          h.onStreamError(streamId, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY is not 5 bytes");
          return;
        }
        h.onPriority(streamId, payload.readUInt32BE(0) & 0x7fffffff);
        return;
      case FrameType.RST_STREAM:
        if (streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
        if (payload.byteLength !== 4) return this.fail(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM is not 4 bytes");
        h.onRstStream(streamId, payload.readUInt32BE(0));
        return;
      case FrameType.SETTINGS: {
        if (streamId !== 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
        const ack = (flags & Flag.ACK) !== 0;
        if (ack && payload.byteLength !== 0) return this.fail(ErrorCode.FRAME_SIZE_ERROR, "a SETTINGS ACK with a payload");
        if (payload.byteLength % 6 !== 0) return this.fail(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length is not a multiple of 6");
        h.onSettings(ack, payload);
        return;
      }
      case FrameType.PUSH_PROMISE: {
        if (streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE on stream 0");
        const body = this.unpad(flags, payload, "PUSH_PROMISE");
        if (body === undefined) return;
        if (body.byteLength < 4) return this.fail(ErrorCode.FRAME_SIZE_ERROR, "PUSH_PROMISE too short");
        const promised = body.readUInt32BE(0) & 0x7fffffff;
        if ((flags & Flag.END_HEADERS) !== 0) h.onPushPromise(streamId, promised, body.subarray(4));
        else this.startBlock(streamId, false, undefined, promised, body.subarray(4));
        return;
      }
      case FrameType.PING:
        if (streamId !== 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (payload.byteLength !== 8) return this.fail(ErrorCode.FRAME_SIZE_ERROR, "PING is not 8 bytes");
        h.onPing((flags & Flag.ACK) !== 0, payload);
        return;
      case FrameType.GOAWAY:
        if (streamId !== 0) return this.fail(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
        if (payload.byteLength < 8) return this.fail(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY shorter than 8 bytes");
        h.onGoaway(payload.readUInt32BE(0) & 0x7fffffff, payload.readUInt32BE(4), payload.subarray(8));
        return;
      case FrameType.WINDOW_UPDATE:
        if (payload.byteLength !== 4) return this.fail(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE is not 4 bytes");
        h.onWindowUpdate(streamId, payload.readUInt32BE(0) & 0x7fffffff);
        return;
      case FrameType.CONTINUATION:
        return this.fail(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without a HEADERS before it");
      default:
        // Unknown frame types are ignored (RFC 9113 section 4.1).
        return;
    }
  }

  /** The payload without its padding, or undefined after a connection error. */
  private unpad(flags: number, payload: Buffer, what: string): Buffer | undefined {
    if ((flags & Flag.PADDED) === 0) return payload;
    if (payload.byteLength < 1) {
      this.fail(ErrorCode.FRAME_SIZE_ERROR, `a padded ${what} frame without its pad length`);
      return undefined;
    }
    const pad = payload[0];
    if (pad >= payload.byteLength) {
      this.fail(ErrorCode.PROTOCOL_ERROR, `${what} padding (${pad}) is not shorter than the frame`);
      return undefined;
    }
    return payload.subarray(1, payload.byteLength - pad);
  }

  private startBlock(streamId: number, endStream: boolean, dependsOn: number | undefined, promised: number, first: Buffer): void {
    this.continuing = streamId;
    this.continuingEndStream = endStream;
    this.continuingDependsOn = dependsOn;
    this.continuingPromised = promised;
    // The fragment is a view into a buffer the next chunk may replace: keep a copy.
    this.fragments = [Buffer.from(first)];
    this.fragmentBytes = first.byteLength;
    if (this.fragmentBytes > this.options.maxHeaderBlockBytes) this.tooLarge();
  }

  private continuation(flags: number, payload: Buffer): void {
    this.fragmentBytes += payload.byteLength;
    if (this.fragmentBytes > this.options.maxHeaderBlockBytes) return this.tooLarge();
    if (this.fragments.length > this.options.maxContinuationFrames) {
      return this.fail(ErrorCode.ENHANCE_YOUR_CALM, `more than ${this.options.maxContinuationFrames} CONTINUATION frames in one header block`);
    }
    this.fragments.push(Buffer.from(payload));
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.fragments, this.fragmentBytes);
    const streamId = this.continuing;
    this.continuing = 0;
    this.fragments = [];
    this.fragmentBytes = 0;
    if (this.continuingPromised !== 0) this.handler.onPushPromise(streamId, this.continuingPromised, block);
    else this.handler.onHeaders(streamId, this.continuingEndStream, block, this.continuingDependsOn);
  }

  private tooLarge(): void {
    this.fail(ErrorCode.ENHANCE_YOUR_CALM, `a header block larger than ${this.options.maxHeaderBlockBytes} bytes`);
  }
}
