/**
 * The bench echo service on @connectrpc/connect-node's own server: connectNodeAdapter on
 * node:http (`--http 1.1`) or node:http2 without TLS (`--http 2`, the default), as a
 * connect-node user serves it. It speaks the Connect protocol, gRPC and gRPC-Web, as
 * connect-node does by default; the bench loads its Connect unary echo.
 */
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { EchoService } from "../gen/bench/v1/echo_pb.js";
import { listenPort, serveControl } from "./server-control.js";

const argv = process.argv.slice(2);
const version = argv.includes("--http") ? argv[argv.indexOf("--http") + 1] : "2";
if (version !== "1.1" && version !== "2") throw new Error(`--http must be 1.1 or 2, got "${version}"`);

const handler = connectNodeAdapter({
  routes(router) {
    router.service(EchoService, {
      echo(request) {
        return { payload: request.payload };
      },
    });
  },
});

const server = version === "1.1" ? http.createServer(handler) : http2.createServer(handler);
server.listen(listenPort(), "127.0.0.1", () => {
  serveControl((server.address() as AddressInfo).port, () => new Promise<void>((resolve) => {
    if (server instanceof http.Server) server.closeAllConnections();
    server.close(() => resolve());
  }));
});
