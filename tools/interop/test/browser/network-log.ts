/**
 * The HTTP version of each response the browser received, as DevTools' Network panel
 * shows it in its Protocol column. A page's own Resource Timing hides nextHopProtocol
 * for cross-origin responses that lack a Timing-Allow-Origin header, so the tests ask
 * the browser through the DevTools protocol instead.
 */
import type { CDPSession, Page } from "playwright-core";

/** What the browser received from one server since the log was last cleared. */
export interface ServerResponses {
  /** The HTTP versions of the responses, preflights included, deduplicated. */
  readonly protocols: string[];
  /** The content types of the calls' responses (preflights have none), deduplicated and sorted. */
  readonly contentTypes: string[];
  /** How many responses came, preflights included. */
  readonly count: number;
}

export interface NetworkLog {
  /** The responses from URLs starting with `prefix`. */
  responsesFrom(prefix: string): ServerResponses;
  clear(): void;
}

interface ResponseReceived {
  readonly requestId: string;
  /** The resource type: "Fetch", "XHR", "Preflight", ... */
  readonly type: string;
  readonly response: { readonly url: string; readonly protocol?: string; readonly headers: Record<string, string> };
}

interface Seen {
  readonly url: string;
  readonly protocol: string;
  readonly contentType: string | undefined;
}

function contentTypeOf(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === "content-type") return value;
  return undefined;
}

export async function recordNetwork(page: Page): Promise<NetworkLog> {
  const session: CDPSession = await page.context().newCDPSession(page);
  let seen: Seen[] = [];
  // Requests sent before the last clear: a late answer to one (a call the browser gave up
  // on at its deadline) belongs to the run before, not to this one.
  const sent = new Set<string>();
  const stale = new Set<string>();
  session.on("Network.requestWillBeSent", (event: { requestId: string }) => sent.add(event.requestId));
  session.on("Network.responseReceived", (event: ResponseReceived) => {
    if (stale.has(event.requestId)) return;
    seen.push({
      url: event.response.url,
      protocol: event.response.protocol ?? "",
      contentType: event.type === "Preflight" ? undefined : contentTypeOf(event.response.headers),
    });
  });
  await session.send("Network.enable");
  return {
    responsesFrom(prefix) {
      const mine = seen.filter((r) => r.url.startsWith(prefix));
      return {
        protocols: [...new Set(mine.map((r) => r.protocol))],
        contentTypes: [...new Set(mine.flatMap((r) => (r.contentType === undefined ? [] : [r.contentType])))].sort(),
        count: mine.length,
      };
    },
    clear() {
      seen = [];
      for (const id of sent) stale.add(id);
      sent.clear();
    },
  };
}
