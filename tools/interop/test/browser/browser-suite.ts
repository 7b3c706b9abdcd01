/**
 * The browser tests' suite, run by each browser-clients test file with its rows: one
 * Chromium for the file, one page from its own origin, the grpckit servers the rows
 * need, and for each row one page visit running every case, then a vitest test per case.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium.js";
import { createLoopbackCertificate } from "./certificate.js";
import { bundlePage, type PageBundle } from "./page-bundle.js";
import { servePage, type PageOrigin } from "./page-origin.js";
import { startBrowserServer, type BrowserServer, type ServerKind } from "./browser-servers.js";
import { badRequestFields, errorInfo } from "./browser-service.js";
import { serverKey, type BrowserRow } from "./matrix.js";
import { recordNetwork, type NetworkLog, type ServerResponses } from "./network-log.js";
import {
  deadlineMs,
  errorCode,
  errorMessage,
  greeting,
  greetingBytes,
  streamSizes,
  unaryPayload,
  type CaseResults,
  type Outcome,
  type PageRun,
} from "./contract.js";

/** The value of a case that must have succeeded; its error otherwise, as the failure message. */
function valueOf<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) expect.fail(outcome.error);
  return outcome.value;
}

export interface BrowserSuiteOptions {
  /** False runs Chromium with HTTP/2 turned off. */
  readonly http2: boolean;
}

export function describeBrowserRows(rows: BrowserRow[], options: BrowserSuiteOptions): void {
  // The rows' server kinds, each once.
  const kinds = [...new Map(rows.map((r): [string, ServerKind] => [serverKey(r.server), r.server])).values()];
  const servers = new Map<string, BrowserServer>();
  let bundle: PageBundle | undefined;
  let origin: PageOrigin | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let network: NetworkLog;

  beforeAll(async () => {
    const certificate = createLoopbackCertificate();
    bundle = await bundlePage();
    origin = await servePage(bundle.dir);
    for (const kind of kinds) servers.set(serverKey(kind), await startBrowserServer(kind, certificate, new URL(origin.url).origin));
    browser = await launchChromium({ trustedSpkiHashes: [certificate.spkiHash], http2: options.http2 });
    page = await browser.newPage();
    network = await recordNetwork(page);
    await page.goto(origin.url, { timeout: 10_000 });
    await page.waitForFunction(() => "runCases" in globalThis, undefined, { timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await origin?.close();
    await bundle?.dispose();
    for (const s of servers.values()) s.server.forceShutdown();
  });

  describe.each(rows)("$name", (row: BrowserRow) => {
    let results: CaseResults;
    let server: BrowserServer;
    let seen: ServerResponses;

    beforeAll(async () => {
      server = servers.get(serverKey(row.server))!;
      server.emptyCallTimeouts.length = 0;
      network.clear();
      const run: PageRun = { baseUrl: server.baseUrl, client: row.client };
      results = await page.evaluate((r) => (globalThis as unknown as { runCases(r: PageRun): Promise<CaseResults> }).runCases(r), run);
      seen = network.responsesFrom(server.baseUrl);
    }, 30_000);

    it(`calls cross-origin, over ${row.protocol} and in ${row.contentTypes.join(", ")}, as the browser's network log shows`, () => {
      expect(new URL(server.baseUrl).origin).not.toBe(results.pageOrigin);
      // Four cases get a response; the deadline case may end in the browser before its answer comes.
      expect(seen.count).toBeGreaterThanOrEqual(4);
      expect(seen.protocols).toEqual([row.protocol]);
      expect(seen.contentTypes).toEqual(row.contentTypes);
    });

    it("answers a unary call", () => {
      expect(valueOf(results.unary).body).toEqual(unaryPayload.map((b) => b + 1));
    });

    it("streams every message and ends OK", () => {
      expect(valueOf(results.serverStreaming)).toEqual({ sizes: streamSizes, code: 0 });
    });

    it("fails with the handler's code and message, and the browser unpacks the google.rpc details", () => {
      expect(valueOf(results.errorDetails)).toEqual({
        code: errorCode,
        message: errorMessage,
        badRequestFields,
        errorInfoReason: errorInfo.reason,
        errorInfoDomain: errorInfo.domain,
      });
    });

    it("ends a call at its deadline with DEADLINE_EXCEEDED, the server having read the deadline from the request", () => {
      expect(valueOf(results.deadline).code).toBe(4);
      expect(server.emptyCallTimeouts).toHaveLength(1);
      const [timeoutMs] = server.emptyCallTimeouts;
      expect(timeoutMs).toBeGreaterThan(0);
      expect(timeoutMs).toBeLessThanOrEqual(deadlineMs);
    });

    it("carries metadata both ways: request headers to the handler, a response header and trailers (one binary) to the browser", () => {
      expect(valueOf(results.metadata)).toEqual({
        header: `the handler read "${greeting}"`,
        trailer: "sent after the message",
        trailerBin: [...greetingBytes].reverse(),
      });
    });
  });
}
