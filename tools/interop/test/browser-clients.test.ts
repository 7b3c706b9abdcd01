/**
 * Browsers calling grpckit: headless Chromium loads a page from its own origin and calls
 * grpckit servers cross-origin with @connectrpc/connect-web (its gRPC-Web and its Connect
 * transports, binary and JSON) and the official grpc-web runtime (grpcweb and
 * grpcwebtext), over HTTP/1.1 on a plain port and HTTP/2 over TLS, on both transports.
 * Each row runs every case in one page visit: unary, server streaming, an error with
 * google.rpc details, a deadline, and metadata both ways; and checks the HTTP version and
 * content types the browser really saw.
 */
import { describeBrowserRows } from "./browser/browser-suite.js";
import { defaultBrowserRows } from "./browser/matrix.js";

describeBrowserRows(defaultBrowserRows, { http2: true });
