/**
 * The server half every socket transport shares: take each socket its server accepts,
 * run the credentials' handshake on it, refuse a peer that agreed on an ALPN protocol
 * other than "h2" or "http/1.1", and hand the secured socket, with the protocol agreed,
 * to the transport, which starts HTTP/2 or HTTP/1.1 on it. The acceptor keeps every socket until it closes, so stopping can end the
 * handshakes still running and closing can destroy every socket the right way round.
 */
import type { Duplex } from "node:stream";
import type { ServerCredentials, HandshakeResult } from "../credentials/credentials.js";
import type { Peer } from "./transport.js";
import { formatHostPort } from "./transport-address.js";
import type { NetSocket, NetSocketServer } from "./socket-types.js";

/** The HTTP versions a socket transport serves, by their ALPN names. */
export type HttpProtocol = "h2" | "http/1.1";

/** A socket whose handshake succeeded, for the transport to run a connection on. */
export interface SecuredSocket<S extends NetSocket> {
  /** The socket to read and write: the raw one, or a wrapper (TLS) over it. */
  readonly socket: Duplex;
  /** The socket the server accepted. */
  readonly raw: S;
  /** Who connected, and what the handshake learned of them. */
  readonly peer: Peer;
  /** The address the peer connected to: "ip:port", or the listener's address for a unix socket. */
  readonly localAddress: string;
  /**
   * The HTTP version ALPN agreed on (TLS); undefined when the handshake negotiated none
   * (a plain socket), and the first bytes tell.
   */
  readonly protocol?: HttpProtocol;
}

/**
 * Accepts the sockets of one bound server. A failure on one socket (handshake refused,
 * ALPN mismatch, a throwing hand-off) destroys that socket only.
 */
export class ServerSocketAcceptor<S extends NetSocket> {
  /** Settles when the server stopped listening and closed. */
  readonly closed: Promise<void>;
  /** Accepted sockets, from accept until closed (handshaking ones included). */
  private readonly sockets = new Set<S>();
  /** Accepted sockets whose handshake has not finished. */
  private readonly handshaking = new Set<S>();
  /** The secured (e.g. TLS) socket over each raw one, once its handshake finished. */
  private readonly securedOf = new Map<S, Duplex>();
  private stopped = false;

  /**
   * @param server the bound server; the acceptor takes its "connection" events.
   * @param address the listener's bound address, the peer's and local address when the socket has none (unix sockets).
   * @param handOff starts a connection on a secured socket; if it throws, the socket is destroyed.
   */
  constructor(
    private readonly server: NetSocketServer<S>,
    private readonly address: string,
    private readonly credentials: ServerCredentials,
    private readonly handOff: (secured: SecuredSocket<S>) => void,
  ) {
    this.closed = new Promise((resolve) => server.once("close", () => resolve()));
    // Errors after listening belong to single connections; they are handled there.
    server.on("error", () => {});
    server.on("connection", (socket) => this.accept(socket));
  }

  /** True once {@link stop} (or drain or destroy) was called: new sockets are refused. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Stops listening: the server closes, and sockets accepted from now on are destroyed. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.server.close();
  }

  /** Stops listening and ends the handshakes still running: those sockets have no connection to drain. */
  drain(): void {
    this.stop();
    for (const socket of this.handshaking) socket.destroy();
  }

  /** Stops listening and destroys every accepted socket. */
  destroySockets(): void {
    this.stop();
    // A wrapper (TLS) goes before the socket under it: node can crash reading a TLS
    // socket whose raw socket was destroyed first.
    for (const socket of this.sockets) {
      this.securedOf.get(socket)?.destroy();
      socket.destroy();
    }
  }

  private accept(raw: S): void {
    if (this.stopped) {
      raw.destroy();
      return;
    }
    this.sockets.add(raw);
    raw.on("error", () => {});
    raw.once("close", () => {
      this.sockets.delete(raw);
      this.handshaking.delete(raw);
      this.securedOf.delete(raw);
    });
    this.handshaking.add(raw);
    let handshake: Promise<HandshakeResult>;
    try {
      handshake = this.credentials.serverHandshake(raw);
    } catch {
      raw.destroy();
      return;
    }
    handshake.then(
      (hs) => this.secured(raw, hs),
      () => raw.destroy(),
    );
  }

  private secured(raw: S, hs: HandshakeResult): void {
    this.handshaking.delete(raw);
    const secured = hs.socket;
    const alpn = hs.alpnProtocol;
    if (this.stopped || raw.destroyed || secured.destroyed || (alpn !== undefined && !servedProtocols.has(alpn))) {
      secured.destroy();
      raw.destroy();
      return;
    }
    if (secured !== raw) {
      secured.on("error", () => {});
      this.securedOf.set(raw, secured);
    }
    const peerAddress = raw.remoteAddress !== undefined ? formatHostPort(raw.remoteAddress, raw.remotePort ?? 0) : this.address;
    const localAddress = raw.localAddress !== undefined ? formatHostPort(raw.localAddress, raw.localPort ?? 0) : this.address;
    try {
      const peer = { address: peerAddress, authInfo: hs.authInfo };
      this.handOff({ socket: secured, raw, peer, localAddress, ...(alpn !== undefined ? { protocol: alpn as HttpProtocol } : {}) });
    } catch {
      secured.destroy();
      raw.destroy();
    }
  }
}

/** The ALPN protocols a socket transport serves. */
const servedProtocols = new Set<string>(["h2", "http/1.1"]);
