/**
 * Binding a transport's socket server to a transport address, the first step of every
 * `TransportBuilder.listen`.
 */
import { formatBoundAddress, parseTransportAddress, type NetAddress } from "./transport-address.js";
import type { ListenTarget, NetSocket, NetSocketServer } from "./socket-types.js";

/**
 * Listens on `address` ("host:port", "[v6]:port", "unix:/path", "unix-abstract:name")
 * and resolves with the bound address (the real port when `address` asked for port 0).
 * Rejects with "cannot listen on <address>: <reason>" when the address is malformed or
 * the bind fails.
 */
export async function listenOn<S extends NetSocket>(server: NetSocketServer<S>, address: string): Promise<string> {
  const target = parseTransportAddress(address);
  return new Promise<string>((resolve, reject) => {
    const onListenError = (e: Error) => {
      reject(new Error(`cannot listen on ${address}: ${e.message}`, { cause: e }));
    };
    server.once("error", onListenError);
    server.listen(listenTarget(target), () => {
      server.off("error", onListenError);
      resolve(formatBoundAddress(server.address(), address));
    });
  });
}

/** An empty host (":50051") listens on every interface. */
function listenTarget(target: NetAddress): ListenTarget {
  if ("path" in target) return { path: target.path };
  return target.host === "" ? { port: target.port } : { host: target.host, port: target.port };
}
