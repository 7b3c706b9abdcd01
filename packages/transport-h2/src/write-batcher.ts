/**
 * Batches a connection's outgoing frames: everything queued during one turn of the
 * event loop goes to the socket in one write, after the I/O callbacks that produced it.
 */

/** The part of a socket the batcher writes to. */
export interface WritableSocket {
  write(chunk: Uint8Array): boolean;
  once(event: "drain", listener: () => void): unknown;
}

export class WriteBatcher {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private full = false;
  private closed = false;

  constructor(
    private readonly socket: WritableSocket,
    /** Called when the socket took everything and can take more (after it was full). */
    private readonly onDrain: () => void,
  ) {}

  /** Queues a frame (or several in one Buffer); they go out at the end of this turn. */
  push(chunk: Buffer): void {
    if (this.closed) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.byteLength;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.closed || this.queue.length === 0) return;
    const out = this.queue.length === 1 ? this.queue[0] : Buffer.concat(this.queue, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    if (!this.socket.write(out) && !this.full) {
      this.full = true;
      this.socket.once("drain", () => {
        this.full = false;
        if (!this.closed) this.onDrain();
      });
    }
  };

  /** False while the socket's own buffer is full: DATA should wait for onDrain. */
  get writable(): boolean {
    return !this.full;
  }

  /** Bytes queued and not yet handed to the socket. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Drops what is queued; later pushes are ignored. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
  }
}
