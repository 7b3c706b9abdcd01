/**
 * A TCP relay on 127.0.0.1 that adds round-trip time: each connection it accepts is
 * joined to `--target` (host:port), and every chunk read from either side is written to
 * the other `--rtt-ms` ÷ 2 later, in order, so a call through it sees a link with that
 * much more round trip and loopback's bandwidth. With 0 ms it passes chunks on at once.
 * What it holds in flight is bounded by the HTTP/2 flow-control windows of the peers.
 * Answers the driver like a bench server (server-control.ts).
 */
import net from "node:net";
import { listenPort, serveControl } from "./server-control.js";

function argValue(name: string): string {
  const argv = process.argv.slice(2);
  const index = argv.indexOf(`--${name}`);
  if (index === -1 || argv[index + 1] === undefined) throw new Error(`latency relay: missing --${name}`);
  return argv[index + 1];
}

const [targetHost, targetPort] = (() => {
  const target = argValue("target");
  const colon = target.lastIndexOf(":");
  return [target.slice(0, colon), Number(target.slice(colon + 1))] as const;
})();
const oneWayMs = Number(argValue("rtt-ms")) / 2;
if (!(oneWayMs >= 0)) throw new Error("latency relay: --rtt-ms must be 0 or more");

/** Writes what `from` reads to `to`, `oneWayMs` later. Timers of one duration fire in the order they were set. */
function relay(from: net.Socket, to: net.Socket): void {
  from.on("data", (chunk: Buffer) => {
    if (oneWayMs === 0) to.write(chunk);
    else setTimeout(() => to.destroyed || to.write(chunk), oneWayMs);
  });
  from.on("end", () => {
    if (oneWayMs === 0) to.end();
    else setTimeout(() => to.end(), oneWayMs);
  });
}

const sockets = new Set<net.Socket>();
const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ host: targetHost, port: targetPort, noDelay: true });
  for (const socket of [client, upstream]) {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // Either side going away ends the pair; the peers see the connection close.
    socket.on("error", () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
  relay(client, upstream);
  relay(upstream, client);
});

server.listen(listenPort(), "127.0.0.1", () => {
  const port = (server.address() as net.AddressInfo).port;
  serveControl(port, () => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
});
