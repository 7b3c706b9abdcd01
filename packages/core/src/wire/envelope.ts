/**
 * The gRPC message frame (doc/PROTOCOL-HTTP2.md, Length-Prefixed-Message): one flags
 * byte (bit 0: compressed), a 4-byte big-endian length, then the message bytes.
 */
import { Code } from "../status/code.js";
import { GrpcError } from "../status/grpc-error.js";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { GrowingBody } from "./growing-body.js";
import { MessagePieces, encodeProtoAfter } from "./proto-encoder.js";

/** Size of the frame header. */
export const envelopeHeaderBytes = 5;

const flagCompressed = 0x01;
const empty = new Uint8Array(0);

/** Frames one message: header and payload in a single new buffer. */
export function encodeEnvelope(data: Uint8Array, compressed: boolean): Uint8Array {
  const length = data.byteLength;
  const frame = Buffer.allocUnsafe(envelopeHeaderBytes + length);
  frame[0] = compressed ? flagCompressed : 0;
  frame[1] = length >>> 24;
  frame[2] = (length >>> 16) & 0xff;
  frame[3] = (length >>> 8) & 0xff;
  frame[4] = length & 0xff;
  frame.set(data, envelopeHeaderBytes);
  return frame;
}

/**
 * Messages at least this large are written as their 5-byte header followed by the
 * message itself, rather than copied into one new buffer.
 */
export const separateHeaderBytes = 16 * 1024;

/**
 * One message's frame as the chunks to write, in order: a small message copied behind
 * its header into one new buffer; a large one as its header followed by the message
 * itself, or its pieces, not copied.
 */
export function frameChunks(data: Uint8Array | MessagePieces, compressed: boolean): Uint8Array[] {
  if (data instanceof MessagePieces) return [envelopeHeader(data.byteLength, compressed), ...data.pieces];
  if (data.byteLength >= separateHeaderBytes) return [envelopeHeader(data.byteLength, compressed), data];
  return [encodeEnvelope(data, compressed)];
}

/**
 * Writes one message's frame to `stream`: a small message as one new buffer, without
 * building a chunk list; a large one as frameChunks gives it. Returns the last write's
 * answer (false: wait for drain).
 */
export function writeMessageFrame(stream: { write(chunk: Uint8Array): boolean }, data: Uint8Array | MessagePieces, compressed: boolean): boolean {
  if (data instanceof Uint8Array && data.byteLength < separateHeaderBytes) return stream.write(encodeEnvelope(data, compressed));
  let written = true;
  for (const chunk of frameChunks(data, compressed)) written = stream.write(chunk);
  return written;
}

/**
 * A proto message under separateHeaderBytes as its whole uncompressed frame, header and
 * message written into one buffer; undefined for a larger message (frame it with
 * writeMessageFrame). The message is the frame from byte envelopeHeaderBytes.
 */
export function encodeSmallProtoFrame<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Buffer | undefined {
  const frame = encodeProtoAfter(schema, message, envelopeHeaderBytes, separateHeaderBytes);
  if (frame === undefined) return undefined;
  const length = frame.byteLength - envelopeHeaderBytes;
  frame[0] = 0;
  frame[1] = length >>> 24;
  frame[2] = (length >>> 16) & 0xff;
  frame[3] = (length >>> 8) & 0xff;
  frame[4] = length & 0xff;
  return frame;
}

/** The message as one buffer, joining its pieces if it has them (compression needs one). */
export function contiguous(data: Uint8Array | MessagePieces): Uint8Array {
  return data instanceof MessagePieces ? data.join() : data;
}

/**
 * Split messages up to this size get their whole buffer when their header arrives;
 * larger ones (possible only with a receive limit raised above the 4 MiB default) get
 * a buffer of this size that grows in place as their bytes arrive (growing-body.ts).
 */
export const eagerBodyBytes = 4 * 1024 * 1024;

/** The 5-byte frame header of a message of `length` bytes. */
export function envelopeHeader(length: number, compressed: boolean): Uint8Array {
  const header = Buffer.allocUnsafe(envelopeHeaderBytes);
  header[0] = compressed ? flagCompressed : 0;
  header.writeUInt32BE(length, 1);
  return header;
}

/**
 * Splits a stream of DATA chunks into messages, whatever the chunk boundaries.
 * A message that lies whole inside one chunk is handed out as a view of that chunk
 * (no copy); a message split across chunks is joined into one buffer allocated when
 * its length is known. The length is checked against `maxMessageBytes` as soon as a
 * header arrives, before any of the body is buffered. A message announced above
 * `eagerBodyBytes` is copied as it arrives into one buffer of its length that grows in
 * place, to twice its room each time it fills: a false length costs at most twice the
 * bytes actually sent (and only what was sent is resident), and a true one is held
 * once, never as pieces and a copy of them.
 *
 * A message handed out as a view shares memory with the pushed chunk, so chunks must
 * not be reused by the caller. `push` and `end` throw a GrpcError on a protocol
 * violation, after which the decoder rejects every further chunk with the same error;
 * an exception thrown by `onMessage` propagates out of `push` and the rest of that
 * chunk is dropped.
 */
export class EnvelopeDecoder {
  /** A header split across chunks, made when one first is: most calls never need it. */
  private header: Uint8Array | undefined;
  /** Header bytes received for the pending frame (0 to 5). */
  private headerFilled = 0;
  private compressed = false;
  /** Body of the pending split message, allocated once its length is known. */
  private body: Uint8Array | undefined;
  /** Body of a pending message announced above eagerBodyBytes, grown as its bytes arrive. */
  private growing: GrowingBody | undefined;
  private bodyLength = 0;
  private bodyFilled = 0;
  private failure: GrpcError | undefined;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly onMessage: (data: Uint8Array, compressed: boolean) => void,
  ) {}

  /** Bytes of an incomplete frame held until more data arrives. */
  get buffered(): number {
    return this.headerFilled + this.bodyFilled;
  }

  /** Bytes allocated for the pending message: its whole length, or the room a large one has grown to. */
  get reserved(): number {
    return this.body !== undefined ? this.body.byteLength : (this.growing?.capacity ?? 0);
  }

  /** Feeds the next chunk of DATA; calls `onMessage` for each message it completes. */
  push(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    let pos = 0;
    const end = chunk.byteLength;
    while (pos < end) {
      if (this.bodyLength > 0) {
        const take = Math.min(this.bodyLength - this.bodyFilled, end - pos);
        const piece = chunk.subarray(pos, pos + take);
        if (this.body !== undefined) this.body.set(piece, this.bodyFilled);
        else this.growing!.set(piece, this.bodyFilled);
        this.bodyFilled += take;
        pos += take;
        if (this.bodyFilled === this.bodyLength) {
          const message = this.body ?? this.growing!.finish();
          this.body = undefined;
          this.growing = undefined;
          this.bodyLength = 0;
          this.bodyFilled = 0;
          this.headerFilled = 0;
          this.onMessage(message, this.compressed);
        }
        continue;
      }
      let flags: number;
      let length: number;
      if (this.headerFilled === 0 && end - pos >= envelopeHeaderBytes) {
        flags = chunk[pos];
        length = ((chunk[pos + 1] << 24) | (chunk[pos + 2] << 16) | (chunk[pos + 3] << 8) | chunk[pos + 4]) >>> 0;
        pos += envelopeHeaderBytes;
      } else {
        const take = Math.min(envelopeHeaderBytes - this.headerFilled, end - pos);
        const h = (this.header ??= new Uint8Array(envelopeHeaderBytes));
        h.set(chunk.subarray(pos, pos + take), this.headerFilled);
        this.headerFilled += take;
        pos += take;
        if (this.headerFilled < envelopeHeaderBytes) return;
        flags = h[0];
        length = ((h[1] << 24) | (h[2] << 16) | (h[3] << 8) | h[4]) >>> 0;
      }
      this.checkHeader(flags, length);
      const compressed = (flags & flagCompressed) !== 0;
      if (length === 0) {
        this.headerFilled = 0;
        this.onMessage(empty, compressed);
      } else if (end - pos >= length) {
        this.headerFilled = 0;
        const message = chunk.subarray(pos, pos + length);
        pos += length;
        this.onMessage(message, compressed);
      } else {
        this.headerFilled = envelopeHeaderBytes;
        this.compressed = compressed;
        this.bodyLength = length;
        if (length <= eagerBodyBytes) this.body = Buffer.allocUnsafe(length);
        else this.growing = new GrowingBody(length, eagerBodyBytes);
      }
    }
  }

  /** Declares the end of the stream; throws if a frame is incomplete. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.bodyLength > 0) {
      this.fail(
        new GrpcError(
          Code.INTERNAL,
          `the stream ended in the middle of a message (got ${this.bodyFilled} of ${this.bodyLength} bytes)`,
        ),
      );
    }
    if (this.headerFilled > 0) {
      this.fail(
        new GrpcError(
          Code.INTERNAL,
          `the stream ended in the middle of a message header (got ${this.headerFilled} of ${envelopeHeaderBytes} bytes)`,
        ),
      );
    }
  }

  private checkHeader(flags: number, length: number): void {
    if ((flags & ~flagCompressed) !== 0) {
      this.fail(
        new GrpcError(
          Code.INTERNAL,
          `received a message with invalid flags 0x${flags.toString(16).padStart(2, "0")}: only bit 0 (compressed) is defined`,
        ),
      );
    }
    if (length > this.maxMessageBytes) {
      this.fail(new GrpcError(Code.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${this.maxMessageBytes})`));
    }
  }

  private fail(error: GrpcError): never {
    this.failure = error;
    this.body = undefined;
    this.growing = undefined;
    this.bodyLength = 0;
    this.headerFilled = 0;
    this.bodyFilled = 0;
    throw error;
  }
}
