/**
 * A loopback TCP relay between an HTTP/2 client and server that reads the frame
 * headers going each way (without changing a byte) and can delay every chunk by a
 * fixed time each way, adding round trip as a long link would. Tests point a channel at
 * it and see the windows, SETTINGS, PINGs and GOAWAYs each side sent.
 */
import net, { type AddressInfo } from "node:net";
import { FrameType, SettingId } from "../../src/frame.js";

type Side = "client" | "server";

/** One frame as the relay saw it go by: DATA payloads are counted, not kept. */
export interface TappedFrame {
  /** "client" for frames the client sent, "server" for the server's. */
  from: Side;
  type: number;
  flags: number;
  streamId: number;
  length: number;
  /** The payload of a control frame (SETTINGS, PING, WINDOW_UPDATE, GOAWAY); empty for DATA and HEADERS. */
  payload: Buffer;
}

const prefaceLength = 24;
const frameHeaderLength = 9;
const protocolDefaultWindow = 65_535;
const kept = new Set<number>([FrameType.SETTINGS, FrameType.PING, FrameType.WINDOW_UPDATE, FrameType.GOAWAY]);

/** Reads the frames of one direction of a connection from its bytes. */
class FrameTap {
  private pending: Buffer = Buffer.alloc(0);
  private prefaceLeft: number;

  constructor(
    private readonly from: Side,
    private readonly onFrame: (f: TappedFrame) => void,
  ) {
    this.prefaceLeft = from === "client" ? prefaceLength : 0;
  }

  private push(chunk: Buffer): void {
    if (this.prefaceLeft > 0) {
      const skip = Math.min(this.prefaceLeft, chunk.byteLength);
      this.prefaceLeft -= skip;
      chunk = chunk.subarray(skip);
    }
    this.pending = this.pending.byteLength === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let o = 0;
    while (this.pending.byteLength - o >= frameHeaderLength) {
      const b = this.pending;
      const length = (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
      const type = b[o + 3];
      // DATA is passed over as it arrives; only the headers of control frames wait for their payload.
      if (kept.has(type) && b.byteLength - o < frameHeaderLength + length) break;
      const available = Math.min(length, b.byteLength - o - frameHeaderLength);
      if (!kept.has(type) && available < length) {
        // A DATA or HEADERS frame split across chunks: remember how much of it is still to come.
        this.onFrame({ from: this.from, type, flags: b[o + 4], streamId: b.readUInt32BE(o + 5) & 0x7fffffff, length, payload: Buffer.alloc(0) });
        this.skipNext = length - available;
        o = b.byteLength;
        break;
      }
      const payload = kept.has(type) ? Buffer.from(b.subarray(o + frameHeaderLength, o + frameHeaderLength + length)) : Buffer.alloc(0);
      this.onFrame({ from: this.from, type, flags: b[o + 4], streamId: b.readUInt32BE(o + 5) & 0x7fffffff, length, payload });
      o += frameHeaderLength + length;
    }
    this.pending = this.pending.subarray(o);
  }

  /** Bytes of a frame's payload still to pass over before the next frame header. */
  private skipNext = 0;

  /** Feeds `chunk`, first passing over the rest of a frame already counted. */
  feed(chunk: Buffer): void {
    if (this.skipNext > 0) {
      const skip = Math.min(this.skipNext, chunk.byteLength);
      this.skipNext -= skip;
      chunk = chunk.subarray(skip);
      if (chunk.byteLength === 0) return;
    }
    this.push(chunk);
  }
}

/** What the frames say about the windows one side gave the other. */
export interface ReceiveWindows {
  /** Each SETTINGS_INITIAL_WINDOW_SIZE the side sent, in order (none: 65,535 throughout). */
  initialWindowSettings: number[];
  /** The most the other side could have sent on the connection at once, by this side's WINDOW_UPDATEs and the DATA already relayed. */
  largestConnectionWindow: number;
}

const other = (side: Side): Side => (side === "client" ? "server" : "client");

export class FrameTapRelay {
  readonly frames: TappedFrame[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly granted = { client: 0, server: 0 };
  private readonly dataFrom = { client: 0, server: 0 };
  private readonly largestOpen = { client: protocolDefaultWindow, server: protocolDefaultWindow };
  /** Connections the relay accepted. */
  connections = 0;

  private constructor(
    private readonly upstreamPort: number,
    /** Added to every chunk each way, so the round trip grows by twice this. */
    private readonly delayMs: number,
  ) {
    this.server = net.createServer({ noDelay: true }, (downstream) => this.relay(downstream));
  }

  /** A relay on 127.0.0.1 to `upstreamPort`, delaying each chunk `delayMs` each way. */
  static async start(upstreamPort: number, delayMs = 0): Promise<FrameTapRelay> {
    const relay = new FrameTapRelay(upstreamPort, delayMs);
    await new Promise<void>((resolve) => relay.server.listen(0, "127.0.0.1", resolve));
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Frames of `type` one side sent. */
  sent(from: Side, type: number): TappedFrame[] {
    return this.frames.filter((f) => f.from === from && f.type === type);
  }

  /** PINGs (not ACKs) one side sent. */
  pings(from: Side): TappedFrame[] {
    return this.sent(from, FrameType.PING).filter((f) => (f.flags & 0x1) === 0);
  }

  /** The GOAWAYs either side sent, as "from: code debug". */
  goaways(): string[] {
    return this.sent("client", FrameType.GOAWAY)
      .concat(this.sent("server", FrameType.GOAWAY))
      .map((f) => `${f.from}: ${f.payload.readUInt32BE(4)} ${f.payload.subarray(8).toString("latin1")}`);
  }

  /** DATA payload bytes (with padding) one side sent. */
  dataBytes(from: Side): number {
    return this.sent(from, FrameType.DATA).reduce((n, f) => n + f.length, 0);
  }

  /** The windows the client gave the server, as the frames show them. */
  clientWindows(): ReceiveWindows {
    return this.windows("client");
  }

  /** The windows `side` gave the other, as the frames show them. */
  windows(side: Side): ReceiveWindows {
    const initialWindowSettings: number[] = [];
    for (const f of this.sent(side, FrameType.SETTINGS)) {
      for (let o = 0; o + 6 <= f.payload.byteLength; o += 6) {
        if (f.payload.readUInt16BE(o) === SettingId.INITIAL_WINDOW_SIZE) initialWindowSettings.push(f.payload.readUInt32BE(o + 2));
      }
    }
    return { initialWindowSettings, largestConnectionWindow: this.largestOpen[side] };
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }

  private relay(downstream: net.Socket): void {
    this.connections++;
    const upstream = net.connect({ port: this.upstreamPort, host: "127.0.0.1", noDelay: true });
    this.sockets.add(downstream).add(upstream);
    const record = (f: TappedFrame) => {
      this.frames.push(f);
      if (f.type === FrameType.DATA) this.dataFrom[f.from] += f.length;
      if (f.type === FrameType.WINDOW_UPDATE && f.streamId === 0) {
        this.granted[f.from] += f.payload.readUInt32BE(0) & 0x7fffffff;
        const open = protocolDefaultWindow + this.granted[f.from] - this.dataFrom[other(f.from)];
        this.largestOpen[f.from] = Math.max(this.largestOpen[f.from], open);
      }
    };
    const fromClient = new FrameTap("client", record);
    const fromServer = new FrameTap("server", record);
    const pass = (from: net.Socket, to: net.Socket, tap: FrameTap) => {
      from.on("data", (chunk: Buffer) => {
        tap.feed(chunk);
        // Timers of one delay fire in the order they were set, so bytes keep their order.
        if (this.delayMs > 0) setTimeout(() => to.destroyed || to.write(chunk), this.delayMs);
        else to.write(chunk);
      });
      from.on("end", () => (this.delayMs > 0 ? setTimeout(() => to.end(), this.delayMs) : to.end()));
      from.on("error", () => to.destroy());
      from.on("close", () => this.sockets.delete(from));
    };
    pass(downstream, upstream, fromClient);
    pass(upstream, downstream, fromServer);
  }
}
