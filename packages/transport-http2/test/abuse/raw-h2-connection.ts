/**
 * A hand-made HTTP/2 client over node:net: it writes exactly the frames a test asks
 * for (any header block, resets, no WINDOW_UPDATE unless asked), so a server can be
 * fed what no well-behaved client would send. Frames from the server are parsed only
 * as far as the tests need: types, flags, stream ids, GOAWAY and RST_STREAM codes, and
 * DATA byte counts; header blocks are not decoded.
 */
import net from "node:net";

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

const flagEndStream = 0x1;
const flagAck = 0x1;
const flagEndHeaders = 0x4;
const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** The largest frame payload a peer must accept before its SETTINGS say otherwise. */
const defaultMaxFrameSize = 16_384;

export interface Goaway {
  code: number;
  lastStreamId: number;
  debug: string;
}

export interface RawH2Options {
  /** SETTINGS_INITIAL_WINDOW_SIZE to announce; node's default 65,535 when left out. */
  initialWindowSize?: number;
}

/** One HPACK integer with an `prefixBits`-bit prefix, the first byte or'ed with `first`. */
function hpackInteger(value: number, prefixBits: number, first: number, out: number[]): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/**
 * An HPACK header block of literal fields without indexing and without Huffman coding
 * (RFC 7541 §6.2.2): every field is spelled out, so the block is as large as its text.
 */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const n = Buffer.from(name, "latin1");
    const v = Buffer.from(value, "latin1");
    const head: number[] = [0x00];
    hpackInteger(n.byteLength, 7, 0x00, head);
    const mid: number[] = [];
    hpackInteger(v.byteLength, 7, 0x00, mid);
    parts.push(Buffer.from(head), n, Buffer.from(mid), v);
  }
  return Buffer.concat(parts);
}

function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.byteLength, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** The request headers of a gRPC call to `path`. */
export function grpcRequestFields(path: string, extra: readonly (readonly [string, string])[] = []): (readonly [string, string])[] {
  return [
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ];
}

export class RawH2Connection {
  readonly socket: net.Socket;
  /** GOAWAY frames received, in order. */
  readonly goaways: Goaway[] = [];
  /** RST_STREAM codes received, by stream id. */
  readonly resets = new Map<number, number>();
  /** DATA payload bytes received, by stream id. */
  readonly dataBytes = new Map<number, number>();
  /** Streams the server sent a HEADERS frame on. */
  readonly headersSeen = new Set<number>();
  /** Streams the server ended (END_STREAM on HEADERS or DATA). */
  readonly ended = new Set<number>();
  /** Resolves once the server's first SETTINGS frame arrived. */
  readonly ready: Promise<void>;
  /** Resolves when the TCP connection has closed, from either side. */
  readonly closed: Promise<void>;
  private nextStreamId = 1;
  private pending: Buffer = Buffer.alloc(0);
  private onReady!: () => void;
  private readonly waiters = new Set<() => void>();

  private constructor(port: number, host: string, options: RawH2Options) {
    this.ready = new Promise((resolve) => (this.onReady = resolve));
    this.socket = net.connect({ port, host, noDelay: true });
    this.socket.on("error", () => {});
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    this.socket.on("close", () => this.notify());
    this.socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    const settings: number[] = [];
    if (options.initialWindowSize !== undefined) settings.push(0x4, options.initialWindowSize);
    const payload = Buffer.alloc(settings.length * 3);
    for (let i = 0; i < settings.length; i += 2) {
      payload.writeUInt16BE(settings[i], i * 3);
      payload.writeUInt32BE(settings[i + 1], i * 3 + 2);
    }
    this.socket.write(Buffer.concat([preface, frame(FrameType.SETTINGS, 0, 0, payload)]));
  }

  /** Connects to a server on `host:port` and waits for its SETTINGS. */
  static async open(port: number, options: RawH2Options = {}, host = "127.0.0.1"): Promise<RawH2Connection> {
    const c = new RawH2Connection(port, host, options);
    await Promise.race([c.ready, c.closed.then(() => Promise.reject(new Error("the server closed before its SETTINGS")))]);
    return c;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** A fresh client stream id. */
  newStreamId(): number {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    return id;
  }

  /** The frames of a header block: HEADERS, then CONTINUATION frames as needed. */
  headersFrames(streamId: number, block: Buffer, endStream: boolean): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    do {
      const piece = block.subarray(pos, pos + defaultMaxFrameSize);
      pos += piece.byteLength;
      const last = pos >= block.byteLength;
      const type = out.length === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const flags = (last ? flagEndHeaders : 0) | (out.length === 0 && endStream ? flagEndStream : 0);
      out.push(frame(type, flags, streamId, piece));
    } while (pos < block.byteLength);
    return out;
  }

  /** Sends a header block on `streamId`. */
  sendHeaders(streamId: number, fields: readonly (readonly [string, string])[], endStream = false): void {
    this.write(this.headersFrames(streamId, headerBlock(fields), endStream));
  }

  sendData(streamId: number, data: Uint8Array, endStream = false): void {
    const frames: Buffer[] = [];
    let pos = 0;
    do {
      const piece = data.subarray(pos, pos + defaultMaxFrameSize);
      pos += piece.byteLength;
      frames.push(frame(FrameType.DATA, pos >= data.byteLength && endStream ? flagEndStream : 0, streamId, piece));
    } while (pos < data.byteLength);
    this.write(frames);
  }

  rstStreamFrame(streamId: number, code: number): Buffer {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(code, 0);
    return frame(FrameType.RST_STREAM, 0, streamId, payload);
  }

  sendRstStream(streamId: number, code: number): void {
    this.write([this.rstStreamFrame(streamId, code)]);
  }

  /** Writes frames as one socket write. */
  write(frames: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }

  /** Waits until `condition` holds (checked after every frame and on close), or fails after `ms`. */
  waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      this.waiters.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  private onBytes(chunk: Buffer): void {
    this.pending = this.pending.byteLength === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let buf = this.pending;
    while (buf.byteLength >= 9) {
      const length = buf.readUIntBE(0, 3);
      if (buf.byteLength < 9 + length) break;
      this.onFrame(buf[3], buf[4], buf.readUInt32BE(5) & 0x7fffffff, buf.subarray(9, 9 + length));
      buf = buf.subarray(9 + length);
    }
    this.pending = buf;
    this.notify();
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    switch (type) {
      case FrameType.SETTINGS:
        if ((flags & flagAck) === 0) {
          this.write([frame(FrameType.SETTINGS, flagAck, 0)]);
          this.onReady();
        }
        break;
      case FrameType.PING:
        if ((flags & flagAck) === 0) this.write([frame(FrameType.PING, flagAck, 0, payload)]);
        break;
      case FrameType.GOAWAY:
        this.goaways.push({
          lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
          code: payload.readUInt32BE(4),
          debug: payload.subarray(8).toString("latin1"),
        });
        break;
      case FrameType.RST_STREAM:
        this.resets.set(streamId, payload.readUInt32BE(0));
        break;
      case FrameType.HEADERS:
        this.headersSeen.add(streamId);
        if ((flags & flagEndStream) !== 0) this.ended.add(streamId);
        break;
      case FrameType.DATA:
        this.dataBytes.set(streamId, (this.dataBytes.get(streamId) ?? 0) + payload.byteLength);
        if ((flags & flagEndStream) !== 0) this.ended.add(streamId);
        break;
    }
  }
}
