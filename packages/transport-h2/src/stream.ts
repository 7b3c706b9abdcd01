/**
 * What an HTTP/2 stream holds on either side of a connection (RFC 9113 section 5.1):
 * its state, its flow-control windows, the DATA waiting to be sent, and what was
 * received while the reader was paused. The connection drives it; the server and
 * client streams add the calls core makes.
 */
import type { Http2Headers } from "@grpckit/core";
import { ReceiveWindow, SendWindow } from "./flow-control.js";
import type { ReadyLinks } from "./ready-streams.js";

/**
 * `write` returns false once this many bytes wait to be sent on a stream, or more when
 * the flow-control windows would take more at once (up to streamQueueLimit): what the
 * peer accepts now is queued, so a fast stream moves up to a window per event-loop
 * turn, and a peer that stops reading leaves at most this much waiting.
 */
export const streamHighWaterMark = 64 * 1024;

/**
 * The most a stream queues however wide the windows are: a writer of small messages
 * that could queue a whole 4 MiB window would hold tens of thousands of them at once,
 * and on a one-stream echo of 100-byte messages ran five times slower.
 */
export const streamQueueLimit = 1 << 20;

/** What a sent chunk's slot in a stream's queue holds until the queue is trimmed. */
const sentChunk = Buffer.alloc(0);

/** Something received that waits behind paused reading: DATA, or a later event. */
type Inbound = Buffer | (() => void);

export abstract class H2Stream implements ReadyLinks<H2Stream> {
  /** 0 until a client stream's HEADERS go out (ids are given in sending order). */
  id = 0;
  sendWindow = new SendWindow(0);
  readonly recvWindow: ReceiveWindow;

  /**
   * DATA waiting for window or socket: `queue` from index `queueHead`, the first chunk
   * from `queueOffset`. Taking advances the index rather than shifting the array, which
   * is linear in its length, and a writer of small messages queues thousands.
   */
  private queue: Buffer[] = [];
  private queueHead = 0;
  private queueOffset = 0;
  queuedBytes = 0;
  /** END_STREAM goes after the queued DATA (a client's half-close). */
  endQueued = false;
  /** Trailers go after the queued DATA. */
  trailersQueued: Http2Headers | undefined;
  /** `write` returned false; onDrain is owed. */
  needDrain = false;
  /** In the connection's list of streams with something to send (see ReadyStreams). */
  ready = false;
  previousReady: H2Stream | undefined = undefined;
  nextReady: H2Stream | undefined = undefined;
  /** Counted among the connection's streams whose end waits behind queued DATA. */
  waitingToEnd = false;

  /** We sent END_STREAM (or will, once the queue is out: see localEndSent). */
  localEnded = false;
  /** END_STREAM went out on the wire. */
  localEndSent = false;
  /** The peer sent END_STREAM. */
  remoteEnded = false;
  closed = false;

  /** content-length the peer announced, or -1; DATA must add up to it. */
  contentLength = -1;
  receivedBytes = 0;

  private paused = false;
  /** False until core can take what arrives (a server stream before setListener). */
  protected accepting = true;
  private inbox: Inbound[] | undefined;
  private pendingClose: (() => void) | undefined;

  constructor(receiveWindow: number) {
    this.recvWindow = new ReceiveWindow(receiveWindow);
  }

  /** Core consumed `n` bytes: the connection returns them to the peer's window. */
  protected abstract released(n: number): void;
  protected abstract emitData(chunk: Buffer): void;

  /** A DATA payload, delivered now or after reading resumes. */
  receive(chunk: Buffer): void {
    if (this.paused || !this.accepting || this.inbox !== undefined) {
      (this.inbox ??= []).push(chunk);
      return;
    }
    this.emitData(chunk);
    this.released(chunk.byteLength);
  }

  /** An event (headers, trailers, end) that must keep its place after DATA. */
  inOrder(event: () => void): void {
    if (this.paused || !this.accepting || this.inbox !== undefined) {
      (this.inbox ??= []).push(event);
      return;
    }
    event();
  }

  /** The stream's last callback, after everything received was delivered. */
  finally(close: () => void): void {
    if (this.inbox !== undefined || !this.accepting) this.pendingClose = close;
    else close();
  }

  /** Drops what waits for delivery (the stream was reset); returns the DATA bytes dropped. */
  discardInbox(): number {
    const inbox = this.inbox;
    if (inbox === undefined) return 0;
    this.inbox = undefined;
    let bytes = 0;
    for (const item of inbox) if (typeof item !== "function") bytes += item.byteLength;
    return bytes;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliverInbox();
  }

  /** Delivers what arrived while paused or before core was ready, in order. */
  protected deliverInbox(): void {
    let inbox = this.inbox;
    while (inbox !== undefined && !this.paused && this.accepting) {
      const item = inbox.shift();
      if (item === undefined) {
        this.inbox = inbox = undefined;
        break;
      }
      if (typeof item === "function") item();
      else {
        this.emitData(item);
        this.released(item.byteLength);
      }
      inbox = this.inbox;
    }
    if (this.inbox === undefined && this.accepting && this.pendingClose !== undefined) {
      const close = this.pendingClose;
      this.pendingClose = undefined;
      close();
    }
  }

  /** Queues DATA to send; true while less than `highWater` bytes wait. */
  enqueue(data: Uint8Array, highWater: number): boolean {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (buf.byteLength > 0) {
      this.queue.push(buf);
      this.queuedBytes += buf.byteLength;
    }
    if (this.queuedBytes < highWater) return true;
    this.needDrain = true;
    return false;
  }

  /**
   * Takes `n` queued bytes for one DATA frame: one view when they lie in one chunk,
   * else the pieces in order.
   */
  take(n: number, into: Buffer[]): void {
    this.queuedBytes -= n;
    const queue = this.queue;
    let at = this.queueHead;
    while (n > 0) {
      const head = queue[at];
      const left = head.byteLength - this.queueOffset;
      if (left <= n) {
        into.push(this.queueOffset === 0 ? head : head.subarray(this.queueOffset));
        // The slot lets go of the chunk at once; the array is trimmed below.
        queue[at++] = sentChunk;
        this.queueOffset = 0;
        n -= left;
      } else {
        into.push(head.subarray(this.queueOffset, this.queueOffset + n));
        this.queueOffset += n;
        n = 0;
      }
    }
    if (at === queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (at >= 1024 && at * 2 >= queue.length) {
      this.queue = queue.slice(at);
      this.queueHead = 0;
    } else {
      this.queueHead = at;
    }
  }

  /** Drops queued DATA (the stream closed). */
  clearQueue(): void {
    this.queue = [];
    this.queueHead = 0;
    this.queueOffset = 0;
    this.queuedBytes = 0;
    this.trailersQueued = undefined;
  }
}
