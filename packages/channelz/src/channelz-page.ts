/**
 * An admin HTTP/1.1 server for people: the channelz web page and the JSON snapshot it
 * polls. It binds to loopback by default; it has no authentication, so expose it
 * only where everyone who can reach it may see the process's connections.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { enableChannelz, type ChannelzRegistry } from "@grpckit/core";
import { channelzPageHtml } from "./page-html.js";
import { channelzSnapshot } from "./page-snapshot.js";

export interface ChannelzPageOptions {
  /** The address to bind; default "127.0.0.1". */
  host?: string;
  /** The port to bind; default 0 (any free port, see the returned url). */
  port?: number;
}

export interface ChannelzPage {
  /** The page's address, e.g. "http://127.0.0.1:36121/". */
  readonly url: string;
  /** Stops the server and closes its open connections. */
  close(): Promise<void>;
}

/** Where the page fetches its data, relative to the page. */
const snapshotPath = "channelz.json";

function handle(registry: ChannelzRegistry, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
    res.end("method not allowed\n");
    return;
  }
  const path = new URL(req.url ?? "/", "http://page").pathname;
  const common = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
  if (path === "/") {
    const nonce = randomBytes(16).toString("base64");
    res.writeHead(200, {
      ...common,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    });
    res.end(req.method === "HEAD" ? undefined : channelzPageHtml(nonce, snapshotPath));
    return;
  }
  if (path === `/${snapshotPath}`) {
    res.writeHead(200, { ...common, "content-type": "application/json; charset=utf-8" });
    res.end(req.method === "HEAD" ? undefined : JSON.stringify(channelzSnapshot(registry)));
    return;
  }
  res.writeHead(404, { ...common, "content-type": "text/plain; charset=utf-8" });
  res.end("not found\n");
}

/**
 * Turns channelz on (`enableChannelz()`) and serves a live web page of the process's
 * channels, subchannels, servers, sockets and their recent trace events.
 *
 * @example
 * const page = await serveChannelzPage({ port: 8081 });
 * console.log(`channelz at ${page.url}`);
 * // on shutdown:
 * await page.close();
 */
export async function serveChannelzPage(options: ChannelzPageOptions = {}): Promise<ChannelzPage> {
  const registry = enableChannelz();
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => handle(registry, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(":") ? `[${address}]` : address}:${port}/`;
  let closed: Promise<void> | undefined;
  return {
    url,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
