/**
 * CORS (the Fetch standard's cross-origin rules) for browser calls: a page on one origin
 * may call a server on another only when the server says so. The server answers the
 * browser's preflight (OPTIONS) itself, before any tap or handler, and marks the
 * responses of allowed origins so the page may read them, including the status and
 * metadata headers gRPC-Web and Connect put where a browser hides them by default.
 */
import type { Http2Headers, ServerTransportStream } from "../transport/transport.js";
import { WrappedServerStream } from "./wrapped-server-stream.js";

/** Cross-origin calls a server allows (`createServer({ cors })`). */
export interface CorsOptions {
  /**
   * The origins whose pages may call: exact origins as a browser sends them
   * ("https://app.example.com", scheme and port included), "*" for any origin, or a
   * function that decides for each.
   */
  readonly allowedOrigins: readonly string[] | "*" | ((origin: string) => boolean);
  /**
   * Request headers a page may send beyond the protocols' own (content-type, grpc-timeout,
   * x-grpc-web, x-user-agent and Connect's): the custom metadata the page sets.
   */
  readonly allowedHeaders?: readonly string[];
  /**
   * Response headers a page may read beyond the protocols' own (grpc-status, grpc-message,
   * grpc-status-details-bin, and Connect's): the custom response metadata, and
   * "trailer-"-prefixed names for trailers of Connect unary calls.
   */
  readonly exposedHeaders?: readonly string[];
  /** Allow requests with cookies or HTTP authentication (Access-Control-Allow-Credentials). Default false. */
  readonly allowCredentials?: boolean;
  /** How long a browser may keep a preflight's answer. Default 7200 (Chromium's own cap). */
  readonly maxAgeSeconds?: number;
}

/** What the three protocols send that a browser only sends after a preflight allows it. */
const protocolRequestHeaders = [
  "content-type",
  "grpc-timeout",
  "x-grpc-web",
  "x-user-agent",
  "connect-protocol-version",
  "connect-timeout-ms",
  "connect-content-encoding",
  "connect-accept-encoding",
];

/** What the protocols answer with that a page must read and a browser hides unless exposed. */
const protocolResponseHeaders = ["grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-encoding", "connect-content-encoding"];

/** The methods browsers call with: POST for every protocol, GET for Connect's cacheable calls. */
const allowedMethods = "POST, GET";

/** CorsOptions checked once, with the header values it sends built once. */
export class CorsPolicy {
  private readonly origins: ((origin: string) => boolean) | undefined;
  private readonly anyOrigin: boolean;
  private readonly credentials: boolean;
  private readonly allowHeaders: string;
  private readonly exposeHeaders: string;
  private readonly maxAge: string;

  constructor(options: CorsOptions) {
    const allowed = options.allowedOrigins;
    this.anyOrigin = allowed === "*";
    if (typeof allowed === "function") this.origins = allowed;
    else if (allowed !== "*") {
      for (const origin of allowed) {
        if (origin === "*" || origin.endsWith("/") || !/^[a-z][a-z0-9+.-]*:\/\/[^/]+$/i.test(origin)) {
          throw new Error(`cors: allowedOrigins entry "${origin}" is not an origin; write scheme://host[:port] with no path, or pass "*" alone`);
        }
      }
      const set = new Set(allowed.map((o) => o.toLowerCase()));
      this.origins = (origin) => set.has(origin.toLowerCase());
    }
    const maxAge = options.maxAgeSeconds ?? 7200;
    if (!Number.isInteger(maxAge) || maxAge < 0) throw new Error(`cors: maxAgeSeconds must be a whole number of seconds, 0 or more (got ${maxAge})`);
    this.credentials = options.allowCredentials ?? false;
    this.allowHeaders = joinNames(protocolRequestHeaders, options.allowedHeaders);
    this.exposeHeaders = joinNames(protocolResponseHeaders, options.exposedHeaders);
    this.maxAge = String(maxAge);
  }

  /** The Access-Control-Allow-Origin value for `origin`, or undefined when it is not allowed. */
  private allowOrigin(origin: string): string | undefined {
    if (this.anyOrigin) return this.credentials ? origin : "*";
    return this.origins!(origin) ? origin : undefined;
  }

  /**
   * Answers a preflight (OPTIONS with Origin and Access-Control-Request-Method) and
   * returns true; false when the request is not one. A disallowed origin gets the answer
   * without the allow headers, which the browser reads as a refusal.
   */
  answerPreflight(stream: ServerTransportStream, method: string | undefined): boolean {
    if (method !== "OPTIONS") return false;
    const headers = stream.headers;
    const origin = first(headers["origin"]);
    if (origin === undefined || first(headers["access-control-request-method"]) === undefined) return false;
    const response: Http2Headers = { ":status": 204, vary: "origin, access-control-request-method, access-control-request-headers" };
    const allowOrigin = this.allowOrigin(origin);
    if (allowOrigin !== undefined) {
      response["access-control-allow-origin"] = allowOrigin;
      response["access-control-allow-methods"] = allowedMethods;
      response["access-control-allow-headers"] = this.allowHeaders;
      response["access-control-max-age"] = this.maxAge;
      if (this.credentials) response["access-control-allow-credentials"] = "true";
    }
    stream.sendHeaders(response, true);
    return true;
  }

  /**
   * The stream to run a call on: `stream` itself for a request without an allowed
   * Origin, else one that adds the CORS headers to the response.
   */
  wrap(stream: ServerTransportStream): ServerTransportStream {
    const origin = first(stream.headers["origin"]);
    if (origin === undefined) return stream;
    const allowOrigin = this.allowOrigin(origin);
    if (allowOrigin === undefined) return stream;
    const added: Http2Headers = {
      "access-control-allow-origin": allowOrigin,
      "access-control-expose-headers": this.exposeHeaders,
      vary: "origin",
    };
    if (this.credentials) added["access-control-allow-credentials"] = "true";
    return new CorsResponseStream(stream, added);
  }
}

/** Adds the CORS headers to the response's header block; everything else passes through. */
class CorsResponseStream extends WrappedServerStream {
  constructor(
    inner: ServerTransportStream,
    private readonly added: Http2Headers,
  ) {
    super(inner);
  }

  override sendHeaders(headers: Http2Headers, endStream: boolean): void {
    this.inner.sendHeaders({ ...headers, ...this.added }, endStream);
  }
}

function first(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : String(value);
}

function joinNames(own: readonly string[], extra: readonly string[] | undefined): string {
  const names = new Set(own);
  for (const name of extra ?? []) {
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name)) throw new Error(`cors: "${name}" is not a header name`);
    names.add(name.toLowerCase());
  }
  return [...names].join(", ");
}
