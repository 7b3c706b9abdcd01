/**
 * Batches a connection's outgoing frames: everything queued during one turn of the
 * event loop goes to the socket in one write, after the I/O callbacks that produced it.
 */

/** The part of a socket the batcher writes to. */
export interface WritableSocket {
  write(chunk: Uint8Array): boolean;
  once(event: "drain", listener: () => void): unknown;
  /** With cork/uncork, a large batch goes out as one vectored write instead of a copy. */
  cork?(): void;
  uncork?(): void;
}

/** Batches up to this size are joined into one buffer; larger ones are written as a vector. */
const copyLimit = 64 * 1024;

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
    /**
     * Called at the start of each flush, to add frames that are made as late as
     * possible (DATA, cut to the flow-control windows of that moment).
     */
    private readonly produce?: () => void,
  ) {}

  /** Queues a frame (or several in one Buffer); they go out at the end of this turn. */
  push(chunk: Buffer): void {
    if (this.closed) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.byteLength;
    this.schedule();
  }

  /** Asks for a flush at the end of this turn even if nothing is queued yet (for `produce`). */
  schedule(): void {
    if (!this.scheduled && !this.closed) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is queued now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.closed) return;
    if (this.produce !== undefined && !this.full) this.produce();
    const queue = this.queue;
    if (queue.length === 0) return;
    const bytes = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    const socket = this.socket;
    let accepted: boolean;
    if (queue.length === 1) {
      accepted = socket.write(queue[0]);
    } else if (bytes <= copyLimit || socket.cork === undefined || socket.uncork === undefined) {
      accepted = socket.write(Buffer.concat(queue, bytes));
    } else {
      socket.cork();
      accepted = true;
      for (const chunk of queue) accepted = socket.write(chunk) && accepted;
      socket.uncork();
    }
    if (!accepted && !this.full) {
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
