/**
 * A unary Connect call on a server stream. The request is one bare message: the POST
 * body (compressed whole when content-encoding says so) or, for a GET, the message the
 * query carried. It reaches the server's call as the one gRPC frame it would have been.
 * The call's gRPC answer is held until its status is known, then written as Connect
 * writes a unary response: HTTP 200 and the bare message, or the error's HTTP status
 * and its JSON; header metadata as headers, trailing metadata as "trailer-" headers.
 */
import { envelopeHeader } from "../wire/envelope.js";
import { H } from "../wire/protocol.js";
import type { Http2Headers, ServerStreamListener, ServerTransportStream } from "../transport/transport.js";
import { WrappedServerStream } from "./wrapped-server-stream.js";
import { connectErrorJson, metadataEntries, statusOf } from "./connect-error.js";
import { ConnectHeader, connectHttpStatus } from "./connect-protocol.js";

const flagCompressed = 0x01;
const errorContentType = "application/json";

export class ConnectUnaryServerStream extends WrappedServerStream {
  /** The response headers the call sent, held until its status arrives. */
  private head: Http2Headers | undefined;
  private readonly body: Uint8Array[] = [];
  /** The Connect response has been written (or the stream reset): nothing more goes out. */
  private done = false;

  /**
   * @param headers the request as gRPC headers (see connect-request.ts)
   * @param maxRequestBytes the body is buffered up to this many bytes, no further
   * @param compressed the body is compressed whole (content-encoding)
   * @param queryMessage a GET's message, from its query; undefined for a POST
   */
  constructor(
    inner: ServerTransportStream,
    private readonly requestHeaders: Http2Headers,
    private readonly responseType: string,
    private readonly maxRequestBytes: number,
    private readonly compressed: boolean,
    private readonly queryMessage: Uint8Array | undefined,
  ) {
    super(inner);
  }

  override get headers(): Http2Headers {
    return this.requestHeaders;
  }

  override setListener(listener: ServerStreamListener): void {
    const message = this.queryMessage;
    const compressed = this.compressed;
    if (message !== undefined) {
      this.inner.setListener({
        // A GET's message is its query; a body, if one came, is not read.
        onData: () => {},
        onEnd: () => {
          listener.onData(envelopeHeader(message.byteLength, compressed));
          if (message.byteLength > 0) listener.onData(message);
          listener.onEnd();
        },
        onDrain: () => listener.onDrain(),
        onClose: (rstCode, error) => listener.onClose(rstCode, error),
      });
      return;
    }
    // The body's length is known only at its end: it is held until then, within the limit.
    let chunks: Uint8Array[] | undefined = [];
    let size = 0;
    this.inner.setListener({
      onData: (chunk) => {
        if (chunks === undefined) return;
        size += chunk.byteLength;
        if (size > this.maxRequestBytes) {
          // The frame header of a message this long makes the call refuse it
          // (RESOURCE_EXHAUSTED); the rest of the body is dropped as it comes.
          chunks = undefined;
          listener.onData(envelopeHeader(size, compressed));
          return;
        }
        chunks.push(chunk);
      },
      onEnd: () => {
        if (chunks !== undefined) {
          const held = chunks;
          chunks = undefined;
          listener.onData(envelopeHeader(size, compressed));
          for (const chunk of held) listener.onData(chunk);
        }
        listener.onEnd();
      },
      onDrain: () => listener.onDrain(),
      onClose: (rstCode, error) => listener.onClose(rstCode, error),
    });
  }

  override sendHeaders(headers: Http2Headers, endStream: boolean): void {
    if (this.done) return;
    // Trailers-only: the block is the status and the trailing metadata.
    if (endStream) this.respond(undefined, headers);
    else this.head = headers;
  }

  override write(data: Uint8Array): boolean {
    if (!this.done) this.body.push(data);
    return true;
  }

  override sendTrailers(trailers: Http2Headers): void {
    if (!this.done) this.respond(this.head, trailers);
  }

  /**
   * Once the response is written, a reset (the call's deadline passing, say) has
   * nothing left to stop, and could cut the response short on its way out.
   */
  override reset(code?: number): void {
    if (this.done) return;
    this.done = true;
    this.inner.reset(code);
  }

  /** Writes the Connect response for the call's headers (if it sent any) and its status block. */
  private respond(head: Http2Headers | undefined, status: Http2Headers): void {
    this.done = true;
    const error = statusOf(status);
    const out: Http2Headers = { [H.status]: 200 };
    if (head !== undefined) {
      for (const [name, value] of metadataEntries(head)) out[name] = value;
    }
    for (const [name, value] of metadataEntries(status)) out[ConnectHeader.trailerPrefix + name] = value;
    const acceptEncoding = head?.[H.acceptEncoding] ?? status[H.acceptEncoding];
    if (acceptEncoding !== undefined) out[ConnectHeader.acceptEncoding] = acceptEncoding;
    let body: Uint8Array;
    if (error === undefined) {
      out[H.contentType] = this.responseType;
      body = this.message();
      const encoding = head?.[H.encoding];
      if (this.messageCompressed() && encoding !== undefined) out[ConnectHeader.contentEncoding] = encoding;
    } else {
      out[H.status] = connectHttpStatus(error.code);
      out[H.contentType] = errorContentType;
      body = Buffer.from(JSON.stringify(connectErrorJson(error)), "utf8");
    }
    this.body.length = 0;
    out[ConnectHeader.contentLength] = String(body.byteLength);
    this.inner.sendHeaders(out, false);
    if (body.byteLength > 0) this.inner.write(body);
    this.inner.sendTrailers({});
  }

  /** The one response message the call wrote, without its 5-byte frame header. */
  private message(): Uint8Array {
    const chunks = this.body;
    if (chunks.length === 0) return new Uint8Array(0);
    const whole = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    return whole.subarray(5);
  }

  private messageCompressed(): boolean {
    const first = this.body[0];
    return first !== undefined && first.byteLength > 0 && (first[0] & flagCompressed) !== 0;
  }
}
