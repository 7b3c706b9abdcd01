/**
 * gRPC-Web (grpc/grpc doc/PROTOCOL-WEB.md) on a server stream: the request and
 * response bodies are gRPC's length-prefixed messages, base64-encoded in the "-text"
 * variant, and the status and trailing metadata travel at the end of the response body
 * as one more frame, flagged 0x80, holding an HTTP/1 header block — browsers cannot
 * read HTTP trailers. Everything else (paths, metadata, deadlines, status codes) is
 * gRPC's own, so the call runs through the server exactly as a gRPC call does.
 */
import type { Http2Headers, ServerStreamListener, ServerTransportStream } from "../transport/transport.js";
import { WrappedServerStream } from "./wrapped-server-stream.js";

const webType = "application/grpc-web";
const webTextType = "application/grpc-web-text";

/** What a gRPC-Web request's content type says. */
export interface GrpcWebContentType {
  /** The codec named after "+", "proto" when none is. */
  readonly codecName: string;
  /** True for application/grpc-web-text: bodies are base64. */
  readonly text: boolean;
  /** The content type the response carries: the request's own, without parameters. */
  readonly responseType: string;
}

/** Parses a gRPC-Web content type; undefined when `contentType` is not one. */
export function grpcWebContentType(contentType: string): GrpcWebContentType | undefined {
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!type.startsWith(webType)) return undefined;
  const text = type.startsWith(webTextType);
  const base = text ? webTextType : webType;
  let codecName = "proto";
  if (type.length > base.length) {
    if (type.charCodeAt(base.length) !== 43 /* + */) return undefined;
    codecName = type.slice(base.length + 1);
    if (codecName === "") return undefined;
  }
  return { codecName, text, responseType: type };
}

/** The trailer frame's flags byte: bit 7 marks trailers (PROTOCOL-WEB.md). */
const trailerFlag = 0x80;

/** The status and trailing metadata as a gRPC-Web trailer frame: "key: value\r\n" lines behind a 5-byte prefix. */
export function encodeTrailerFrame(trailers: Http2Headers): Uint8Array {
  let block = "";
  for (const [key, value] of Object.entries(trailers)) {
    if (value === undefined || key.startsWith(":")) continue;
    for (const v of Array.isArray(value) ? value : [value]) block += `${key.toLowerCase()}: ${String(v)}\r\n`;
  }
  const body = Buffer.from(block, "latin1");
  const frame = Buffer.allocUnsafe(5 + body.byteLength);
  frame[0] = trailerFlag;
  frame.writeUInt32BE(body.byteLength, 1);
  body.copy(frame, 5);
  return frame;
}

/**
 * Decodes a base64 body that arrives in pieces. Each sender's flush may end in padding
 * (PROTOCOL-WEB.md: padding need not fall on message boundaries), so the text is
 * decoded a padded group at a time, and a piece that ends mid-group keeps its last
 * characters for the next.
 */
export class Base64StreamDecoder {
  private pending = "";

  push(chunk: Uint8Array): Uint8Array {
    const text = this.pending + Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
    const out: Buffer[] = [];
    // Groups of four characters count from the start of each padded run.
    let pos = 0;
    for (;;) {
      const pad = text.indexOf("=", pos);
      const groupStart = pad === -1 ? pos + Math.floor((text.length - pos) / 4) * 4 : pos + Math.floor((pad - pos) / 4) * 4;
      const groupEnd = pad === -1 ? groupStart : groupStart + 4;
      if (groupEnd > text.length) {
        // A padded group cut short ("QQ=" waiting for its last "="): keep it whole.
        if (groupStart > pos) out.push(Buffer.from(text.slice(pos, groupStart), "base64"));
        pos = groupStart;
        break;
      }
      if (groupEnd > pos) out.push(Buffer.from(text.slice(pos, groupEnd), "base64"));
      pos = groupEnd;
      if (pad === -1) break;
    }
    this.pending = text.slice(pos);
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** Characters of an incomplete group still held. */
  get held(): number {
    return this.pending.length;
  }
}

/**
 * A server stream speaking gRPC-Web on top of one speaking HTTP. The server's call
 * writes gRPC frames and trailers to it as to any stream; this one writes the frames
 * (base64 in text mode), and the trailers as the body's last frame, then ends the body.
 */
export class GrpcWebServerStream extends WrappedServerStream {
  private readonly decoder: Base64StreamDecoder | undefined;

  constructor(
    inner: ServerTransportStream,
    private readonly text: boolean,
  ) {
    super(inner);
    this.decoder = text ? new Base64StreamDecoder() : undefined;
  }

  override setListener(listener: ServerStreamListener): void {
    const decoder = this.decoder;
    if (decoder === undefined) {
      this.inner.setListener(listener);
      return;
    }
    this.inner.setListener({
      onData: (chunk) => {
        const bytes = decoder.push(chunk);
        if (bytes.byteLength > 0) listener.onData(bytes);
      },
      onEnd: () => listener.onEnd(),
      onDrain: () => listener.onDrain(),
      onClose: (rstCode, error) => listener.onClose(rstCode, error),
    });
  }

  override write(data: Uint8Array): boolean {
    return this.inner.write(this.text ? base64(data) : data);
  }

  /** The trailers go in the body, and the body ends with an empty trailer section. */
  override sendTrailers(trailers: Http2Headers): void {
    const frame = encodeTrailerFrame(trailers);
    this.inner.write(this.text ? base64(frame) : frame);
    this.inner.sendTrailers({});
  }

}

function base64(data: Uint8Array): Uint8Array {
  return Buffer.from(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"), "latin1");
}
