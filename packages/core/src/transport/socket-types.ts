/**
 * The shape of node:net's sockets and servers that the shared accept and connect paths
 * use, written out so core imports no Node networking module: a transport passes its
 * `net.Socket`s and `net.Server` in, and TypeScript checks they fit.
 */
import type { Duplex } from "node:stream";

/** A connected stream socket (a `net.Socket`): the bytes, and where both ends are. */
export type NetSocket = Duplex & {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
};

/** What a socket server listens on: a unix socket path, a port on every interface, or a host and port. */
export type ListenTarget = { path: string } | { port: number } | { host: string; port: number };

/** What a client socket connects to; `noDelay` turns Nagle's algorithm off on TCP. */
export type DialTarget = { path: string } | { host: string; port: number; noDelay: true };

/** A socket server (a `net.Server`) as the shared listener path drives it. */
export interface NetSocketServer<S extends NetSocket> {
  listen(target: ListenTarget, onListening: () => void): unknown;
  address(): { address: string; family: string; port: number } | string | null;
  close(): unknown;
  on(event: "connection", listener: (socket: S) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  once(event: "error", listener: (error: Error) => void): unknown;
  once(event: "close", listener: () => void): unknown;
  off(event: "error", listener: (error: Error) => void): unknown;
}
