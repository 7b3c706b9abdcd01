/**
 * One HTTP/1.1 request, parsed by node:http, as a server stream core can answer: a
 * browser's gRPC-Web call arrives this way. The request line and headers become the
 * pseudo-headers and headers an HTTP/2 stream would carry, the body its DATA, and the
 * response is written with node:http's own framing. HTTP/1.1 has no trailers a browser
 * can read, so a stream answered over it ends its body where HTTP/2 would send trailers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  Http2ErrorCode,
  type Http2Headers,
  type Peer,
  type ServerConnection,
  type ServerStreamListener,
  type ServerTransportStream,
} from "./transport.js";

/** A node:http request and its response as a ServerTransportStream. */
export class Http1ServerStream implements ServerTransportStream {
  readonly headers: Http2Headers;
  readonly httpVersion = "1.1";
  private listener: ServerStreamListener | undefined;
  private ended = false;
  private closed = false;

  /** The connection the request came on, for channelz and stats. */
  readonly connection?: ServerConnection;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly peer: Peer,
    scheme: "http" | "https",
    connection?: ServerConnection,
  ) {
    if (connection !== undefined) this.connection = connection;
    const headers: Http2Headers = {
      ":method": req.method ?? "GET",
      ":path": req.url ?? "/",
      ":scheme": scheme,
      ":authority": req.headers.host ?? "",
    };
    for (const [name, value] of Object.entries(req.headers)) {
      // HTTP/1.1's connection-specific headers have no place in an HTTP/2 view (RFC 9113 §8.2.2).
      if (value === undefined || name === "host" || connectionHeaders.has(name)) continue;
      headers[name] = value;
    }
    this.headers = headers;
    req.pause();
  }

  setListener(listener: ServerStreamListener): void {
    this.listener = listener;
    const { req, res } = this;
    req.on("data", (chunk: Buffer) => listener.onData(chunk));
    req.once("end", () => listener.onEnd());
    res.on("drain", () => listener.onDrain());
    res.once("close", () => {
      if (this.closed) return;
      this.closed = true;
      // A response that did not finish was cut short: the client went away.
      listener.onClose(res.writableFinished ? undefined : Http2ErrorCode.CANCEL);
    });
    req.resume();
  }

  sendHeaders(headers: Http2Headers, endStream: boolean): void {
    const status = Number(headers[":status"] ?? 200);
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith(":") || value === undefined) continue;
      this.res.setHeader(name, Array.isArray(value) ? value.map(String) : String(value));
    }
    this.res.writeHead(status);
    if (endStream) this.end();
    else this.res.flushHeaders();
  }

  write(data: Uint8Array): boolean {
    if (this.ended) return true;
    return this.res.write(data);
  }

  /**
   * Ends the body. HTTP/1.1 trailers need chunked framing and an announced list, and
   * no browser reads them, so only an empty trailer section is accepted: the protocol
   * on top (gRPC-Web) carries the status in the body.
   */
  sendTrailers(trailers: Http2Headers): void {
    if (Object.keys(trailers).length > 0) throw new Error("an HTTP/1.1 response cannot carry trailers here; the status must travel in the body");
    this.end();
  }

  reset(_code?: number): void {
    if (this.closed) return;
    this.ended = true;
    this.res.destroy();
  }

  pause(): void {
    this.req.pause();
  }

  resume(): void {
    this.req.resume();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.end();
  }
}

const connectionHeaders = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
