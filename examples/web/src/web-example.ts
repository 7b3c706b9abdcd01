/**
 * The example's two servers: the page on one port, and a grpckit server on transport-h2
 * on another, allowing that page's origin by CORS. The same address answers gRPC,
 * gRPC-Web and Connect, over HTTP/2 and HTTP/1.1.
 */
import { createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { HelloService, helloService } from "./hello-service.js";
import { listenPage } from "./page-server.js";

export interface WebExampleOptions {
  /** Where both servers listen. Default 127.0.0.1. */
  readonly host?: string;
  /** The API's port; 0 picks a free one. Default 50051. */
  readonly apiPort?: number;
  /** The page's port; 0 picks a free one. Default 8080. */
  readonly pagePort?: number;
  /** The pause between two numbers of a Count stream. Default 200 ms. */
  readonly countIntervalMs?: number;
}

export interface WebExample {
  /** The page to open in a browser. */
  readonly pageUrl: string;
  /** Where the page sends its calls. */
  readonly apiUrl: string;
  /** Stops taking calls, lets those in flight finish, then closes both servers. */
  shutdown(): Promise<void>;
}

export async function startWebExample(options: WebExampleOptions = {}): Promise<WebExample> {
  const host = options.host ?? "127.0.0.1";
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const page = await listenPage(host, options.pagePort ?? 8080);
  const server = createServer({
    transport: h2Transport(),
    // The page is on another port, so another origin: the browser calls only when the server allows it.
    cors: { allowedOrigins: [page.origin] },
  });
  server.addService(HelloService, helloService({ countIntervalMs: options.countIntervalMs }));
  let port: number | undefined;
  try {
    ({ port } = await server.listen(`${urlHost}:${options.apiPort ?? 50051}`));
  } catch (e) {
    await page.close();
    throw e;
  }
  const apiUrl = `http://${urlHost}:${port}`;
  page.serve(apiUrl);
  return {
    pageUrl: `${page.origin}/`,
    apiUrl,
    async shutdown() {
      await server.shutdown();
      await page.close();
    },
  };
}
