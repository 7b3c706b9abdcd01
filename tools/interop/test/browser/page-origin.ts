/**
 * Serves the bundled test page from its own origin (node:http on 127.0.0.1), apart from
 * the grpckit servers, so every call the page makes is cross-origin, as a web app's are.
 */
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { AddressInfo } from "node:net";

export interface PageOrigin {
  /** The page's address, "http://127.0.0.1:PORT/". */
  readonly url: string;
  close(): Promise<void>;
}

const files: Record<string, { name: string; type: string }> = {
  "/": { name: "index.html", type: "text/html; charset=utf-8" },
  "/page.js": { name: "page.js", type: "text/javascript; charset=utf-8" },
};

export async function servePage(dir: string): Promise<PageOrigin> {
  const server: Server = createServer((req, res) => {
    const file = files[req.url ?? ""];
    if (req.method !== "GET" || file === undefined) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(dir, file.name)).then(
      (body) => res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" }).end(body),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
