/**
 * The buffer a large received message lands in: one resizable ArrayBuffer whose
 * maximum is the message's announced length, grown in place as its bytes arrive. The
 * engine reserves the maximum as address space only and grows without copying, so the
 * bytes are copied once, from the socket's chunks into place, and a header announcing
 * more than the peer sends costs memory only for what it sent.
 */

/** ArrayBuffer's resizable form (ES2024, in Node 20), which the ES2023 typings lack. */
interface ResizableArrayBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => ResizableArrayBuffer;

export class GrowingBody {
  private readonly buffer: ResizableArrayBuffer;
  /** A view of the room there is; made anew at each growth, as engines copy into a fixed-length view fastest. */
  private view: Uint8Array;

  /** A body of `length` bytes that starts with room for `initial` of them. */
  constructor(
    readonly length: number,
    initial: number,
  ) {
    this.buffer = new ResizableArrayBuffer(Math.min(initial, length), { maxByteLength: length });
    this.view = new Uint8Array(this.buffer, 0, this.buffer.byteLength);
  }

  /** Bytes of room it has now. */
  get capacity(): number {
    return this.buffer.byteLength;
  }

  /** Copies `piece` to `offset`, first growing to twice its room (or what the piece needs, up to the length). */
  set(piece: Uint8Array, offset: number): void {
    const needed = offset + piece.byteLength;
    if (needed > this.buffer.byteLength) {
      this.buffer.resize(Math.min(this.length, Math.max(needed, 2 * this.buffer.byteLength)));
      this.view = new Uint8Array(this.buffer, 0, this.buffer.byteLength);
    }
    this.view.set(piece, offset);
  }

  /** The whole message, once every byte is in place. */
  finish(): Buffer {
    return Buffer.from(this.buffer, 0, this.length);
  }
}
