/**
 * A hand-driven HTTP/2 client over node:net for protocol tests: it sends exactly the
 * bytes a test asks for (any frame, any header block, in any order), parses what the
 * server sends with the transport's own FrameReader and HPACK decoder, and lets the
 * test await frames, GOAWAY, RST_STREAM, responses and the socket's close, each with a
 * bounded wait whose failure says what was awaited and what arrived instead.
 */
import net from "node:net";
import { FrameReader, type FrameHandler } from "../../src/frame-reader.js";
import { ErrorCode, Flag, FrameType, SettingId, connectionPreface, frame, minMaxFrameSize, pingFrame, rstStreamFrame, settingsFrame, windowUpdateFrame } from "../../src/frame.js";
import { HpackDecoder } from "../../src/hpack-decoder.js";
import { HpackEncoder } from "../../src/hpack-encoder.js";

/** A header field as sent or received: [name, value]. */
export type Field = readonly [string, string];

/** One frame the server sent, decoded. */
export type ReceivedFrame =
  | { seq: number; type: "DATA"; streamId: number; endStream: boolean; data: Buffer; flowLength: number }
  | { seq: number; type: "HEADERS"; streamId: number; endStream: boolean; fields: Field[] }
  | { seq: number; type: "RST_STREAM"; streamId: number; code: number }
  | { seq: number; type: "SETTINGS"; streamId: 0; ack: boolean; params: Map<number, number> }
  | { seq: number; type: "PING"; streamId: 0; ack: boolean; opaque: Buffer }
  | { seq: number; type: "GOAWAY"; streamId: 0; lastStreamId: number; code: number; debug: string }
  | { seq: number; type: "WINDOW_UPDATE"; streamId: number; increment: number }
  | { seq: number; type: "PUSH_PROMISE"; streamId: number; promisedId: number }
  | { seq: number; type: "PRIORITY"; streamId: number; dependsOn: number };

export interface Goaway {
  lastStreamId: number;
  code: number;
  debug: string;
}

/** What the server sent on one stream. */
export interface StreamResponse {
  /** The first header block (response headers, or the whole of a trailers-only response). */
  headers: Record<string, string> | undefined;
  /** DATA payloads joined, padding removed. */
  data: Buffer;
  /** The second header block, when there was one. */
  trailers: Record<string, string> | undefined;
  /** The RST_STREAM code, when the server reset the stream. */
  rstCode: number | undefined;
}

export interface RawPeerOptions {
  /** Send the client connection preface on connect. Default true. */
  preface?: boolean;
  /** The SETTINGS sent after the preface, as [id, value] pairs; false sends none. Default: an empty SETTINGS. */
  settings?: readonly (readonly [number, number])[] | false;
  /** ACK the server's SETTINGS as they arrive. Default: true when our SETTINGS were sent. */
  autoSettingsAck?: boolean;
  /** Answer the server's PINGs. Default true. */
  autoPingAck?: boolean;
  /**
   * Return flow-control window for DATA received, a quarter of our window at a time,
   * as a well-behaved client does. Default true.
   */
  autoWindowUpdate?: boolean;
  /** How long an await without its own timeout waits. Default 2000 ms. */
  timeoutMs?: number;
}

interface StreamState {
  headers: Field[] | undefined;
  trailers: Field[] | undefined;
  data: Buffer[];
  ended: boolean;
  rstCode: number | undefined;
  /** Window the server granted on this stream by WINDOW_UPDATE. */
  granted: number;
  /** Flow-controlled bytes we sent on this stream. */
  sent: number;
  /** DATA received and not yet returned with WINDOW_UPDATE. */
  unreturned: number;
}

interface Waiter {
  check(): boolean;
  fail(reason: string): void;
}

const defaultWindow = 65_535;
const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** The RFC 9113 name of an error code ("PROTOCOL_ERROR"), or its hex value when unknown. */
export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? `0x${code.toString(16)}`;
}

function describeFrame(f: ReceivedFrame): string {
  switch (f.type) {
    case "GOAWAY":
      return `GOAWAY(last ${f.lastStreamId}, ${errorCodeName(f.code)}, "${f.debug}")`;
    case "RST_STREAM":
      return `RST_STREAM(${f.streamId}, ${errorCodeName(f.code)})`;
    case "SETTINGS":
      return f.ack ? "SETTINGS(ACK)" : `SETTINGS(${[...f.params].map(([k, v]) => `${k}=${v}`).join(",")})`;
    case "PING":
      return f.ack ? "PING(ACK)" : "PING";
    case "HEADERS":
      return `HEADERS(${f.streamId}${f.endStream ? ", END_STREAM" : ""})`;
    case "DATA":
      return `DATA(${f.streamId}, ${f.data.byteLength}${f.endStream ? ", END_STREAM" : ""})`;
    case "WINDOW_UPDATE":
      return `WINDOW_UPDATE(${f.streamId}, ${f.increment})`;
    default:
      return `${f.type}(${f.streamId})`;
  }
}

function toRecord(fields: readonly Field[] | undefined): Record<string, string> | undefined {
  if (fields === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of fields) out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  return out;
}

/**
 * One raw HTTP/2 client connection.
 *
 * ```ts
 * const peer = await RawPeer.connect(port);
 * const id = peer.nextStreamId();
 * peer.headers(id, [[":method", "POST"], ...], { endStream: false });
 * peer.data(id, body, true);
 * const response = await peer.response(id);
 * ```
 */
export class RawPeer {
  readonly socket: net.Socket;
  /** Every frame the server sent, in order. */
  readonly frames: ReceivedFrame[] = [];
  /** The parameters of the server's first SETTINGS, once it arrived. */
  serverSettings: Map<number, number> | undefined;
  /** Why the server's bytes could not be parsed, if they could not. */
  parseError: string | undefined;
  readonly encoder = new HpackEncoder();
  /** Decodes the server's header blocks under the SETTINGS_HEADER_TABLE_SIZE we sent. */
  readonly decoder: HpackDecoder;
  private readonly reader: FrameReader;
  private readonly streams = new Map<number, StreamState>();
  private readonly taken = new Set<number>();
  private readonly waiters = new Set<Waiter>();
  private readonly timeoutMs: number;
  private readonly autoSettingsAck: boolean;
  private readonly autoPingAck: boolean;
  private readonly autoWindowUpdate: boolean;
  /** Our SETTINGS_INITIAL_WINDOW_SIZE, for returning window. */
  private readonly ourWindow: number;
  private connectionGranted = 0;
  private connectionSent = 0;
  private connectionUnreturned = 0;
  private nextId = 1;
  private isClosed = false;

  private constructor(port: number, host: string, options: RawPeerOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    const settings = options.settings ?? [];
    this.autoSettingsAck = options.autoSettingsAck ?? settings !== false;
    this.autoPingAck = options.autoPingAck ?? true;
    this.autoWindowUpdate = options.autoWindowUpdate ?? true;
    const ours = (id: number) => (settings === false ? undefined : settings.find(([k]) => k === id)?.[1]);
    this.ourWindow = ours(SettingId.INITIAL_WINDOW_SIZE) ?? defaultWindow;
    this.decoder = new HpackDecoder({ maxTableSize: ours(SettingId.HEADER_TABLE_SIZE) ?? 4096, maxHeaderListSize: 1 << 24 });
    this.reader = new FrameReader(this.handler, {
      maxFrameSize: ours(SettingId.MAX_FRAME_SIZE) ?? minMaxFrameSize,
      expectPreface: false,
      maxHeaderBlockBytes: 1 << 24,
      maxContinuationFrames: 1 << 20,
    });
    this.socket = net.connect({ port, host, noDelay: true });
    this.socket.on("error", () => {});
    this.socket.on("data", (chunk: Buffer) => this.reader.push(chunk));
    this.socket.on("close", () => {
      this.isClosed = true;
      this.notify();
    });
    const hello: Buffer[] = [];
    if (options.preface ?? true) hello.push(connectionPreface);
    if (settings !== false) hello.push(settingsFrame(settings));
    if (hello.length > 0) this.socket.write(Buffer.concat(hello));
  }

  /** Opens a TCP connection to host:port and sends the preface and SETTINGS the options ask for. */
  static connect(port: number, options: RawPeerOptions = {}, host = "127.0.0.1"): Promise<RawPeer> {
    const peer = new RawPeer(port, host, options);
    return new Promise((resolve, reject) => {
      peer.socket.once("connect", () => resolve(peer));
      peer.socket.once("error", reject);
    });
  }

  /** The next unused client stream id (odd, increasing). */
  nextStreamId(): number {
    const id = this.nextId;
    this.nextId += 2;
    return id;
  }

  /** Writes raw bytes. */
  send(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes one frame with any type, flags, stream and payload. */
  sendFrame(type: number, flags: number, streamId: number, payload?: Uint8Array): void {
    this.send(frame(type, flags, streamId, payload));
  }

  /** HPACK-encodes `fields` with this connection's encoder. */
  encode(fields: readonly Field[]): Buffer {
    return Buffer.from(this.encoder.encode(fields));
  }

  /**
   * Sends a header block on `streamId`: HEADERS, then CONTINUATION frames past 16384
   * bytes. With `endHeaders: false` only a HEADERS frame without END_HEADERS goes out,
   * for the test to continue. `padding` adds that many pad bytes; `dependsOn` adds
   * priority fields.
   */
  headers(
    streamId: number,
    fields: readonly Field[],
    options: { endStream?: boolean; endHeaders?: boolean; padding?: number; dependsOn?: number } = {},
  ): void {
    this.headerBlock(streamId, this.encode(fields), options);
  }

  /** As headers, with an already encoded (or deliberately broken) block. */
  headerBlock(
    streamId: number,
    block: Uint8Array,
    options: { endStream?: boolean; endHeaders?: boolean; padding?: number; dependsOn?: number } = {},
  ): void {
    const endStream = options.endStream ?? false;
    const endHeaders = options.endHeaders ?? true;
    const prefix: Buffer[] = [];
    let flags = endStream ? Flag.END_STREAM : 0;
    if (options.padding !== undefined) {
      flags |= Flag.PADDED;
      prefix.push(Buffer.from([options.padding]));
    }
    if (options.dependsOn !== undefined) {
      flags |= Flag.PRIORITY;
      const priority = Buffer.alloc(5);
      priority.writeUInt32BE(options.dependsOn, 0);
      priority[4] = 15;
      prefix.push(priority);
    }
    const suffix = Buffer.alloc(options.padding ?? 0);
    const room = minMaxFrameSize - prefix.reduce((n, b) => n + b.byteLength, 0) - suffix.byteLength;
    const first = Buffer.from(block.subarray(0, room));
    const last = first.byteLength === block.byteLength;
    if (last && endHeaders) flags |= Flag.END_HEADERS;
    const out = [frame(FrameType.HEADERS, flags, streamId, Buffer.concat([...prefix, first, suffix]))];
    if (endHeaders) {
      for (let o = first.byteLength; o < block.byteLength; o += minMaxFrameSize) {
        const piece = block.subarray(o, o + minMaxFrameSize);
        const end = o + piece.byteLength >= block.byteLength;
        out.push(frame(FrameType.CONTINUATION, end ? Flag.END_HEADERS : 0, streamId, piece));
      }
    }
    this.send(Buffer.concat(out));
  }

  /** Sends a CONTINUATION frame. */
  continuation(streamId: number, fragment: Uint8Array, endHeaders: boolean): void {
    this.sendFrame(FrameType.CONTINUATION, endHeaders ? Flag.END_HEADERS : 0, streamId, fragment);
  }

  /**
   * Sends `bytes` as DATA frames of at most 16384 bytes (one empty frame for no bytes),
   * END_STREAM on the last when asked. `padding` pads each frame with that many bytes.
   * The bytes count against the send windows this peer tracks.
   */
  data(streamId: number, bytes: Uint8Array, endStream = false, padding?: number): void {
    const room = minMaxFrameSize - (padding === undefined ? 0 : padding + 1);
    const out: Buffer[] = [];
    let o = 0;
    do {
      const piece = bytes.subarray(o, o + room);
      o += piece.byteLength;
      const last = o >= bytes.byteLength;
      let flags = last && endStream ? Flag.END_STREAM : 0;
      let payload: Uint8Array = piece;
      if (padding !== undefined) {
        flags |= Flag.PADDED;
        payload = Buffer.concat([Buffer.from([padding]), piece, Buffer.alloc(padding)]);
      }
      out.push(frame(FrameType.DATA, flags, streamId, payload));
      this.stream(streamId).sent += payload.byteLength;
      this.connectionSent += payload.byteLength;
    } while (o < bytes.byteLength);
    this.send(out.length === 1 ? out[0] : Buffer.concat(out));
  }

  rst(streamId: number, code: number): void {
    this.send(rstStreamFrame(streamId, code));
  }

  windowUpdate(streamId: number, increment: number): void {
    this.send(windowUpdateFrame(streamId, increment));
  }

  settings(params: readonly (readonly [number, number])[], ack = false): void {
    this.send(settingsFrame(params, ack));
  }

  /** Sends a PING and resolves when its ACK (same 8 bytes) arrives: every frame sent before it was processed. */
  async ping(opaque: Buffer = Buffer.from("rawpeer!", "latin1"), timeoutMs = this.timeoutMs): Promise<void> {
    this.send(pingFrame(opaque, false));
    await this.nextFrame((f) => f.type === "PING" && f.ack && f.opaque.equals(opaque), timeoutMs, `a PING ACK carrying "${opaque.toString("hex")}"`);
  }

  /**
   * Bytes we may still send on `streamId` by the server's accounting: its
   * SETTINGS_INITIAL_WINDOW_SIZE plus its WINDOW_UPDATEs, less the DATA sent with data().
   */
  sendWindow(streamId: number): number {
    const s = this.stream(streamId);
    const initial = this.serverSettings?.get(SettingId.INITIAL_WINDOW_SIZE) ?? defaultWindow;
    return initial + s.granted - s.sent;
  }

  /** Bytes we may still send on the connection by the server's accounting. */
  get connectionSendWindow(): number {
    return defaultWindow + this.connectionGranted - this.connectionSent;
  }

  get closedNow(): boolean {
    return this.isClosed;
  }

  /**
   * The first frame, in arrival order, that matches `predicate` and was not returned
   * by an earlier call; waits up to `timeoutMs` for it.
   */
  nextFrame(predicate: (f: ReceivedFrame) => boolean, timeoutMs = this.timeoutMs, what = "a matching frame"): Promise<ReceivedFrame> {
    let found: ReceivedFrame | undefined;
    return this.until(
      () => {
        for (const f of this.frames) {
          if (!this.taken.has(f.seq) && predicate(f)) {
            this.taken.add(f.seq);
            found = f;
            return true;
          }
        }
        return false;
      },
      timeoutMs,
      what,
    ).then(() => found!);
  }

  /** The server's next GOAWAY. */
  async goaway(timeoutMs = this.timeoutMs): Promise<Goaway> {
    const f = await this.nextFrame((x) => x.type === "GOAWAY", timeoutMs, "a GOAWAY");
    if (f.type !== "GOAWAY") throw new Error("unreachable");
    return { lastStreamId: f.lastStreamId, code: f.code, debug: f.debug };
  }

  /** The code of the server's RST_STREAM on `streamId`. */
  async rstStream(streamId: number, timeoutMs = this.timeoutMs): Promise<number> {
    const f = await this.nextFrame((x) => x.type === "RST_STREAM" && x.streamId === streamId, timeoutMs, `RST_STREAM on stream ${streamId}`);
    if (f.type !== "RST_STREAM") throw new Error("unreachable");
    return f.code;
  }

  /** The first header block the server sent on `streamId`. */
  async responseHeaders(streamId: number, timeoutMs = this.timeoutMs): Promise<Record<string, string>> {
    let fields: Field[] | undefined;
    await this.until(
      () => (fields = this.streams.get(streamId)?.headers) !== undefined,
      timeoutMs,
      `response headers on stream ${streamId}`,
    );
    return toRecord(fields)!;
  }

  /** Everything the server sent on `streamId`, once it ended the stream (END_STREAM or RST_STREAM). */
  async response(streamId: number, timeoutMs = this.timeoutMs): Promise<StreamResponse> {
    await this.until(
      () => {
        const s = this.streams.get(streamId);
        return s !== undefined && (s.ended || s.rstCode !== undefined);
      },
      timeoutMs,
      `the end of stream ${streamId}`,
    );
    const s = this.stream(streamId);
    return { headers: toRecord(s.headers), data: Buffer.concat(s.data), trailers: toRecord(s.trailers), rstCode: s.rstCode };
  }

  /** DATA bytes (padding removed) received on `streamId` so far. */
  receivedData(streamId: number): Buffer {
    return Buffer.concat(this.streams.get(streamId)?.data ?? []);
  }

  /** Resolves when the socket has closed. */
  closed(timeoutMs = this.timeoutMs): Promise<void> {
    return this.until(() => this.isClosed, timeoutMs, "the socket to close", false);
  }

  /** Resolves when `condition` holds (checked after every frame and on close). */
  waitFor(condition: () => boolean, what: string, timeoutMs = this.timeoutMs): Promise<void> {
    return this.until(condition, timeoutMs, what);
  }

  /** Destroys the socket. */
  close(): void {
    this.socket.destroy();
  }

  /** A summary of what the server sent, for failure messages. */
  describe(): string {
    const frames = this.frames.map(describeFrame).join(", ");
    return `received: [${frames}]${this.parseError === undefined ? "" : `; unparsable: ${this.parseError}`}${this.isClosed ? "; socket closed" : ""}`;
  }

  private until(check: () => boolean, timeoutMs: number, what: string, failOnClose = true): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => waiter.fail(`timed out after ${timeoutMs} ms waiting for ${what}`), timeoutMs);
      const waiter: Waiter = {
        check: () => {
          if (check()) {
            this.waiters.delete(waiter);
            clearTimeout(timer);
            resolve();
            return true;
          }
          if (failOnClose && (this.isClosed || this.parseError !== undefined)) {
            waiter.fail(`the connection ended while waiting for ${what}`);
            return true;
          }
          return false;
        },
        fail: (reason) => {
          this.waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`${reason}; ${this.describe()}`));
        },
      };
      this.waiters.add(waiter);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w.check();
  }

  private stream(id: number): StreamState {
    let s = this.streams.get(id);
    if (s === undefined) {
      s = { headers: undefined, trailers: undefined, data: [], ended: false, rstCode: undefined, granted: 0, sent: 0, unreturned: 0 };
      this.streams.set(id, s);
    }
    return s;
  }

  private record(f: ReceivedFrame): void {
    this.frames.push(f);
    this.notify();
  }

  private returnWindow(streamId: number, endStream: boolean, flowLength: number): void {
    const threshold = Math.max(1, Math.floor(this.ourWindow / 4));
    this.connectionUnreturned += flowLength;
    if (this.connectionUnreturned >= Math.floor(defaultWindow / 4)) {
      this.windowUpdate(0, this.connectionUnreturned);
      this.connectionUnreturned = 0;
    }
    const s = this.stream(streamId);
    if (endStream) return;
    s.unreturned += flowLength;
    if (s.unreturned >= threshold) {
      this.windowUpdate(streamId, s.unreturned);
      s.unreturned = 0;
    }
  }

  private readonly handler: FrameHandler = {
    onData: (streamId, endStream, data, flowLength) => {
      const s = this.stream(streamId);
      const copy = Buffer.from(data);
      s.data.push(copy);
      if (endStream) s.ended = true;
      if (this.autoWindowUpdate && flowLength > 0) this.returnWindow(streamId, endStream, flowLength);
      this.record({ seq: this.frames.length, type: "DATA", streamId, endStream, data: copy, flowLength });
    },
    onHeaders: (streamId, endStream, block) => {
      let flat: string[];
      try {
        flat = this.decoder.decode(block);
      } catch (err) {
        this.parseError = `HPACK: ${(err as Error).message}`;
        this.notify();
        return;
      }
      const fields: Field[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i], flat[i + 1]]);
      const s = this.stream(streamId);
      if (s.headers === undefined) s.headers = fields;
      else s.trailers = fields;
      if (endStream) s.ended = true;
      this.record({ seq: this.frames.length, type: "HEADERS", streamId, endStream, fields });
    },
    onPriority: (streamId, dependsOn) => this.record({ seq: this.frames.length, type: "PRIORITY", streamId, dependsOn }),
    onStreamError: (streamId, code, message) => {
      this.parseError = `stream ${streamId}: ${errorCodeName(code)} ${message}`;
      this.notify();
    },
    onRstStream: (streamId, code) => {
      this.stream(streamId).rstCode = code;
      this.record({ seq: this.frames.length, type: "RST_STREAM", streamId, code });
    },
    onSettings: (ack, payload) => {
      const params = new Map<number, number>();
      for (let o = 0; o + 6 <= payload.byteLength; o += 6) params.set(payload.readUInt16BE(o), payload.readUInt32BE(o + 2));
      if (!ack) {
        this.serverSettings ??= params;
        const table = params.get(SettingId.HEADER_TABLE_SIZE);
        if (table !== undefined) this.encoder.setPeerMaxTableSize(table);
        if (this.autoSettingsAck) this.settings([], true);
      }
      this.record({ seq: this.frames.length, type: "SETTINGS", streamId: 0, ack, params });
    },
    onPushPromise: (streamId, promisedId) => this.record({ seq: this.frames.length, type: "PUSH_PROMISE", streamId, promisedId }),
    onPing: (ack, opaque) => {
      const copy = Buffer.from(opaque);
      if (!ack && this.autoPingAck) this.send(pingFrame(copy, true));
      this.record({ seq: this.frames.length, type: "PING", streamId: 0, ack, opaque: copy });
    },
    onGoaway: (lastStreamId, code, debug) =>
      this.record({ seq: this.frames.length, type: "GOAWAY", streamId: 0, lastStreamId, code, debug: debug.toString("utf8") }),
    onWindowUpdate: (streamId, increment) => {
      if (streamId === 0) this.connectionGranted += increment;
      else this.stream(streamId).granted += increment;
      this.record({ seq: this.frames.length, type: "WINDOW_UPDATE", streamId, increment });
    },
    onConnectionError: (code, message) => {
      this.parseError = `${errorCodeName(code)} ${message}`;
      this.notify();
    },
  };
}
