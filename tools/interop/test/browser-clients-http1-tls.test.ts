/**
 * Browsers calling grpckit over HTTP/1.1 on a TLS port, as a browser does where HTTP/2 is
 * unavailable: Chromium runs with HTTP/2 turned off, so ALPN settles on http/1.1 with the
 * same TLS servers that give other browsers h2. Every client and case of
 * browser-clients.test.ts, on both transports.
 */
import { describeBrowserRows } from "./browser/browser-suite.js";
import { http1TlsBrowserRows } from "./browser/matrix.js";

describeBrowserRows(http1TlsBrowserRows, { http2: false });
