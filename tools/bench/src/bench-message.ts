/**
 * The message every benchmark sends: an EchoRequest whose encoding is exactly the asked
 * number of bytes, and its gRPC frame.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { EchoRequestSchema, type EchoRequest } from "./gen/bench/v1/echo_pb.js";
import { frameMessage } from "./frame.js";

/** The full method paths of the bench service. */
export const ECHO_PATH = "/bench.v1.EchoService/Echo";
export const ECHO_STREAM_PATH = "/bench.v1.EchoService/EchoStream";
export const ECHO_SERVER_STREAM_PATH = "/bench.v1.EchoService/EchoServerStream";

/** The unary message size the issue asks for. */
export const SMALL_MESSAGE_BYTES = 100;
/** The large streaming message size. */
export const LARGE_MESSAGE_BYTES = 64 * 1024;

/** A bench message of one size, in the forms the servers and clients need. */
export interface BenchMessage {
  /** Encoded size in bytes (what "a 100-byte message" means). */
  readonly size: number;
  readonly request: EchoRequest;
  readonly payload: Uint8Array;
  /** The encoded EchoRequest; an EchoResponse with the same payload encodes identically. */
  readonly encoded: Uint8Array;
  /** The encoded message behind its 5-byte gRPC prefix. */
  readonly frame: Buffer;
}

/**
 * Builds the message whose protobuf encoding is `size` bytes (field tag, length, payload).
 * The encoding and the frame are made when first asked for, so a 100 MB message costs
 * one payload buffer until something needs its bytes on the wire.
 */
export function benchMessage(size: number): BenchMessage {
  const payloadLength = payloadLengthFor(size);
  const payload = new Uint8Array(payloadLength);
  for (let i = 0; i < payloadLength; i++) payload[i] = i & 0xff;
  const request = create(EchoRequestSchema, { payload });
  let encoded: Uint8Array | undefined;
  let frame: Buffer | undefined;
  return {
    size,
    request,
    payload,
    get encoded() {
      if (encoded === undefined) {
        encoded = toBinary(EchoRequestSchema, request);
        if (encoded.length !== size) throw new Error(`a ${size}-byte bench message encoded to ${encoded.length} bytes`);
      }
      return encoded;
    },
    get frame() {
      frame ??= frameMessage(this.encoded);
      return frame;
    },
  };
}

function payloadLengthFor(size: number): number {
  for (let lengthBytes = 1; lengthBytes <= 5; lengthBytes++) {
    const payloadLength = size - 1 - lengthBytes;
    if (payloadLength >= 0 && varintBytes(payloadLength) === lengthBytes) return payloadLength;
  }
  throw new Error(`no bench message encodes to exactly ${size} bytes`);
}

function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}
