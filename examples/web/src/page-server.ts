/**
 * Serves the page over plain HTTP from node:http: index.html (told where the API is),
 * its CSS and the bundled app.js, under a Content-Security-Policy that lets the page
 * connect to the API's origin and nowhere else.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

/** The built page: dist/page, written by bundle-page.ts. */
const pageDir = fileURLToPath(new URL("./page/", import.meta.url));

export interface PageServer {
  /** The page's origin, "http://host:port": the origin the API must allow. */
  readonly origin: string;
  /** Starts answering requests, with the page pointing its calls at `apiUrl`. */
  serve(apiUrl: string): void;
  /** Stops listening and closes every connection, idle or not. */
  close(): Promise<void>;
}

/** Binds the page's port; the page is served once serve() is told the API's URL. */
export async function listenPage(host: string, port: number): Promise<PageServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${boundPort}`;
  return {
    origin,
    serve(apiUrl) {
      const files = pageFiles(apiUrl);
      const csp = `default-src 'none'; script-src 'self'; style-src 'self'; connect-src ${new URL(apiUrl).origin}`;
      server.on("request", (req, res) => {
        const file = req.method === "GET" || req.method === "HEAD" ? files.get(new URL(req.url ?? "/", origin).pathname) : undefined;
        if (file === undefined) {
          res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
          return;
        }
        res.writeHead(200, { "content-type": file.type, "content-security-policy": csp, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : file.body);
      });
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

function pageFiles(apiUrl: string): Map<string, { type: string; body: Buffer }> {
  const read = (name: string) => readFileSync(`${pageDir}${name}`);
  const html = read("index.html").toString("utf8").replaceAll("%API_URL%", escapeHtml(apiUrl));
  return new Map([
    ["/", { type: "text/html; charset=utf-8", body: Buffer.from(html) }],
    ["/app.js", { type: "text/javascript; charset=utf-8", body: read("app.js") }],
    ["/page.css", { type: "text/css; charset=utf-8", body: read("page.css") }],
  ]);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
