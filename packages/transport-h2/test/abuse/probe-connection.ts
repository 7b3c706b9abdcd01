/**
 * A raw HTTP/2 client over node:net that records what a server answers, decoded:
 * each stream's header blocks (through the transport's own HPACK decoder), its DATA,
 * its RST_STREAM code; the connection's GOAWAY frames and its close. It writes only
 * the bytes a test hands it, ACKs the server's SETTINGS and PINGs, and returns the
 * connection window for every DATA frame, so one probe can carry many calls.
 */
import net from "node:net";
import { Flag, FrameType, connectionPreface, frameHeaderLength, pingFrame, settingsFrame, windowUpdateFrame } from "../../src/frame.js";
import { HpackDecoder } from "../../src/hpack-decoder.js";

export interface ProbeGoaway {
  lastStreamId: number;
  code: number;
  debug: string;
}

/** What the server sent on one stream. */
export interface ProbeStream {
  /** Header blocks in order, each as an object (a repeated name keeps its last value). */
  headerBlocks: Record<string, string>[];
  data: Buffer[];
  rstCode: number | undefined;
  /** END_STREAM arrived. */
  ended: boolean;
}

export class ProbeConnection {
  readonly socket: net.Socket;
  readonly goaways: ProbeGoaway[] = [];
  readonly streams = new Map<number, ProbeStream>();
  /** Resolves when the TCP connection has closed, from either side. */
  readonly closed: Promise<void>;
  /** The socket's error (a reset connection, say), when it had one. */
  socketError: Error | undefined;
  private readonly decoder = new HpackDecoder({ maxHeaderListSize: 1 << 24 });
  private pending: Buffer = Buffer.alloc(0);
  private block: Buffer[] = [];
  private blockStream = 0;
  private blockEndStream = false;
  private settingsSeen = false;
  private nextId = 1;
  private readonly waiters = new Set<() => void>();

  private constructor(port: number, host: string) {
    this.socket = net.connect({ port, host, noDelay: true });
    this.socket.on("error", (e) => (this.socketError ??= e));
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
    this.socket.on("close", () => this.notify());
    this.socket.on("data", (chunk: Buffer) => this.onBytes(chunk));
    this.socket.write(Buffer.concat([connectionPreface, settingsFrame([])]));
  }

  /** Connects, sends the preface and an empty SETTINGS, and waits for the server's SETTINGS. */
  static async open(port: number, host = "127.0.0.1"): Promise<ProbeConnection> {
    const c = new ProbeConnection(port, host);
    await c.waitFor(() => c.settingsSeen || c.destroyed, 5000, "the server's SETTINGS");
    if (!c.settingsSeen) throw new Error("the server closed before its SETTINGS");
    return c;
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** A fresh client stream id. */
  newStreamId(): number {
    const id = this.nextId;
    this.nextId += 2;
    return id;
  }

  /** The stream's record, created empty when nothing arrived on it yet. */
  stream(id: number): ProbeStream {
    let s = this.streams.get(id);
    if (s === undefined) {
      s = { headerBlocks: [], data: [], rstCode: undefined, ended: false };
      this.streams.set(id, s);
    }
    return s;
  }

  /** True once the server ended or reset stream `id`. */
  finished(id: number): boolean {
    const s = this.streams.get(id);
    return s !== undefined && (s.ended || s.rstCode !== undefined);
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Waits until `condition` holds (checked after every chunk read and on close), or fails after `ms`. */
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
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; got ${this.describe()}`));
      }, ms);
      this.waiters.add(check);
    });
  }

  /** A one-line account of what arrived, for failure messages. */
  describe(): string {
    const streams = [...this.streams].map(([id, s]) => `${id}:${s.headerBlocks.length}hb/${s.data.length}d/rst=${s.rstCode}/end=${s.ended}`);
    return `goaways ${JSON.stringify(this.goaways)}, streams [${streams.join(" ")}], ${this.destroyed ? "closed" : "open"}`;
  }

  close(): void {
    this.socket.destroy();
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }

  private onBytes(chunk: Buffer): void {
    let buf = this.pending.byteLength === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.byteLength >= frameHeaderLength) {
      const length = buf.readUIntBE(0, 3);
      if (buf.byteLength < frameHeaderLength + length) break;
      this.onFrame(buf[3], buf[4], buf.readUInt32BE(5) & 0x7fffffff, buf.subarray(frameHeaderLength, frameHeaderLength + length));
      buf = buf.subarray(frameHeaderLength + length);
    }
    this.pending = buf;
    this.notify();
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    switch (type) {
      case FrameType.SETTINGS:
        if ((flags & Flag.ACK) === 0) {
          this.write(settingsFrame([], true));
          this.settingsSeen = true;
        }
        break;
      case FrameType.PING:
        if ((flags & Flag.ACK) === 0) this.write(pingFrame(payload, true));
        break;
      case FrameType.GOAWAY:
        this.goaways.push({ lastStreamId: payload.readUInt32BE(0) & 0x7fffffff, code: payload.readUInt32BE(4), debug: payload.subarray(8).toString("latin1") });
        break;
      case FrameType.RST_STREAM:
        this.stream(streamId).rstCode = payload.readUInt32BE(0);
        break;
      case FrameType.HEADERS: {
        let fragment = payload;
        if ((flags & Flag.PADDED) !== 0) fragment = fragment.subarray(1, fragment.byteLength - fragment[0]);
        if ((flags & Flag.PRIORITY) !== 0) fragment = fragment.subarray(5);
        this.block = [fragment];
        this.blockStream = streamId;
        this.blockEndStream = (flags & Flag.END_STREAM) !== 0;
        if ((flags & Flag.END_HEADERS) !== 0) this.endBlock();
        break;
      }
      case FrameType.CONTINUATION:
        this.block.push(payload);
        if ((flags & Flag.END_HEADERS) !== 0) this.endBlock();
        break;
      case FrameType.DATA: {
        const s = this.stream(streamId);
        let data = payload;
        if ((flags & Flag.PADDED) !== 0) data = data.subarray(1, data.byteLength - data[0]);
        s.data.push(Buffer.from(data));
        if ((flags & Flag.END_STREAM) !== 0) s.ended = true;
        if (payload.byteLength > 0) this.write(windowUpdateFrame(0, payload.byteLength));
        break;
      }
    }
  }

  private endBlock(): void {
    const fields = this.decoder.decode(Buffer.concat(this.block));
    this.block = [];
    const headers: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) headers[fields[i]] = fields[i + 1];
    const s = this.stream(this.blockStream);
    s.headerBlocks.push(headers);
    if (this.blockEndStream) s.ended = true;
  }
}
