/**
 * The HTTP version of each response the browser received, as DevTools' Network panel
 * shows it in its Protocol column. A page's own Resource Timing hides nextHopProtocol
 * for cross-origin responses that lack a Timing-Allow-Origin header, so the tests ask
 * the browser through the DevTools protocol instead.
 */
import type { CDPSession, Page } from "playwright-core";

export interface NetworkLog {
  /** The protocols of the responses from URLs starting with `prefix` since the last clear, deduplicated. */
  protocolsFor(prefix: string): { protocols: string[]; responses: number };
  clear(): void;
}

interface ResponseReceived {
  readonly response: { readonly url: string; readonly protocol?: string };
}

export async function recordNetwork(page: Page): Promise<NetworkLog> {
  const session: CDPSession = await page.context().newCDPSession(page);
  let seen: { url: string; protocol: string }[] = [];
  session.on("Network.responseReceived", (event: ResponseReceived) => seen.push({ url: event.response.url, protocol: event.response.protocol ?? "" }));
  await session.send("Network.enable");
  return {
    protocolsFor(prefix) {
      const mine = seen.filter((r) => r.url.startsWith(prefix));
      return { protocols: [...new Set(mine.map((r) => r.protocol))], responses: mine.length };
    },
    clear() {
      seen = [];
    },
  };
}
