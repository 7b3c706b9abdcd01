/**
 * The client half every socket transport shares: connect a socket to a transport
 * address within the connect timeout (or to an HTTP proxy, and open a tunnel to the
 * address through it with CONNECT), run the credentials' handshake on it, refuse a
 * server that agreed on an ALPN protocol other than "h2", and hand the secured socket
 * to the transport, which starts HTTP/2 on it and reports the connection ready once
 * the server's SETTINGS arrived. Any failure before then destroys what was made and
 * rejects once.
 */
import type { Duplex } from "node:stream";
import type { HandshakeResult } from "../credentials/credentials.js";
import type { ClientTransportOptions, Peer } from "./transport.js";
import { formatHostPort, formatUnixPath, parseTransportAddress } from "./transport-address.js";
import type { DialTarget, NetSocket } from "./socket-types.js";
import { httpConnect } from "./http-connect-proxy.js";

/** A connected, handshaken socket, and the way to finish or fail the connect. */
export interface DialedSocket<S extends NetSocket, T> {
  /** The socket to read and write: the raw one, or a wrapper (TLS) over it. */
  readonly socket: Duplex;
  /** The socket that connected. */
  readonly raw: S;
  /** The server: "ip:port", "[ipv6]:port" or "unix:/path", and what the handshake learned. */
  readonly peer: Peer;
  /** This end's "ip:port"; undefined on a unix socket. */
  readonly localAddress: string | undefined;
  /** True once the connect resolved or failed; a late event then has nothing to do. */
  readonly settled: boolean;
  /** Resolves the connect with the ready transport; ignored once settled. */
  ready(transport: T): void;
  /** Fails the connect with `cause`'s message, destroying what was made; ignored once settled. */
  fail(cause: unknown): void;
}

/**
 * How a transport starts its connection on a dialed socket. It returns, if it needs
 * one, what to undo when the connect fails before `ready` (e.g. destroy a session);
 * the sockets are destroyed anyway.
 */
export type StartConnection<S extends NetSocket, T> = (dialed: DialedSocket<S, T>) => (() => void) | void;

/**
 * Connects to `address` with `connect` (node's `net.connect`), or with the channel's
 * `dialer` when the options carry one, then runs `start` on the handshaken socket.
 * With `options.proxy`, the socket connects to the proxy instead (through the dialer,
 * when there is one) and the CONNECT exchange opens the tunnel to `address` before the
 * handshake; the connect timeout covers it. The returned promise resolves with what `start` passes to `ready`
 * (the transport's `ClientTransport`), or rejects with an Error whose message names no
 * address (core's subchannel puts "failed to connect to <address>:" before it, and
 * node's socket errors already name the address they failed on) and whose `cause` is
 * the original error.
 */
export async function dialTransport<S extends NetSocket, T>(
  address: string,
  options: ClientTransportOptions,
  connect: (target: DialTarget) => S,
  start: StartConnection<S, T>,
): Promise<T> {
  const target = parseTransportAddress(address);
  // A unix socket is local: never tunnelled.
  const proxy = "path" in target ? undefined : options.proxy;
  const dialAddress = proxy?.address ?? address;
  const dialTarget = proxy === undefined ? target : parseTransportAddress(proxy.address);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let raw: S | undefined;
    // While credentials run their handshake, the raw socket may be wrapped (TLS): it is
    // not destroyed underneath the wrapper; the handshake settles and is cleaned up then.
    let handshaking = false;
    let secured: Duplex | undefined;
    let undo: (() => void) | void;
    let failed = false;
    /** Aborts the application's dialer, when one is dialing. */
    let dialAbort: AbortController | undefined;

    const fail = (cause: unknown, message = cause instanceof Error ? cause.message : String(cause)) => {
      if (settled) return;
      settled = true;
      failed = true;
      if (timer !== undefined) clearTimeout(timer);
      dialAbort?.abort(new Error(message));
      undo?.();
      // A wrapper (TLS) goes before the socket under it: node can crash reading a TLS
      // socket whose raw socket was destroyed first.
      secured?.destroy();
      if (!handshaking) raw?.destroy();
      reject(new Error(message, { cause }));
    };

    if (options.connectTimeoutMs !== undefined) {
      const ms = options.connectTimeoutMs;
      timer = setTimeout(() => {
        timer = undefined;
        fail(undefined, `timed out after ${ms} ms`);
      }, ms);
    }

    const onConnected = (socket: S) => {
      if (settled) return;
      if (proxy === undefined) {
        secure(socket);
        return;
      }
      httpConnect(socket, proxy, address).then(
        () => secure(socket),
        (e: unknown) => fail(e),
      );
    };

    const secure = (socket: S) => {
      if (settled) return;
      // Through a proxy, the peer is the proxy's address: the socket's far end.
      const peerAddress =
        "path" in dialTarget
          ? formatUnixPath(dialTarget.path)
          : formatHostPort(socket.remoteAddress ?? dialTarget.host, socket.remotePort ?? dialTarget.port);
      let handshake: Promise<HandshakeResult>;
      try {
        handshaking = true;
        handshake = options.credentials.clientHandshake(socket, options.authority);
      } catch (e) {
        handshaking = false;
        fail(e);
        return;
      }
      handshake.then(
        (hs) => {
          handshaking = false;
          secured = hs.socket;
          if (settled) {
            secured.destroy();
            if (secured !== socket) socket.destroy();
            return;
          }
          const alpn = hs.alpnProtocol;
          if (typeof alpn === "string" && alpn !== "h2") {
            fail(new Error(`the server negotiated ALPN protocol "${alpn}" instead of "h2"`));
            return;
          }
          if (secured.destroyed) {
            fail(new Error("the connection closed during the handshake"));
            return;
          }
          const dialed: DialedSocket<S, T> = {
            socket: secured,
            raw: socket,
            peer: { address: peerAddress, authInfo: hs.authInfo },
            localAddress: socket.localAddress !== undefined ? formatHostPort(socket.localAddress, socket.localPort ?? 0) : undefined,
            get settled() {
              return settled;
            },
            ready: (transport) => {
              if (settled) return;
              settled = true;
              if (timer !== undefined) clearTimeout(timer);
              resolve(transport);
            },
            fail,
          };
          try {
            undo = start(dialed);
          } catch (e) {
            fail(e);
            return;
          }
          // A start that failed the connect before returning its undo gets it run now.
          if (failed) undo?.();
        },
        (e: unknown) => {
          handshaking = false;
          fail(e);
        },
      );
    };

    const dialer = options.dialer;
    if (dialer !== undefined) {
      // The application's dialer makes the socket; its signal aborts when the connect fails or times out.
      dialAbort = new AbortController();
      let dialing: Promise<NetSocket>;
      try {
        dialing = dialer(dialAddress, { signal: dialAbort.signal });
      } catch (e) {
        fail(e, `the dialer failed: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      dialing.then(
        (socket) => {
          if (settled) {
            socket.destroy();
            return;
          }
          raw = socket as S;
          socket.on("error", (e: Error) => fail(e));
          onConnected(socket as S);
        },
        (e: unknown) => fail(e, `the dialer failed: ${e instanceof Error ? e.message : String(e)}`),
      );
      return;
    }

    try {
      raw = connect("path" in dialTarget ? { path: dialTarget.path } : { host: dialTarget.host || "localhost", port: dialTarget.port, noDelay: true });
    } catch (e) {
      fail(e);
      return;
    }
    const socket = raw;
    // Stays for the socket's life: before the connection exists it fails the connect;
    // after, the connection sees the error too and reports it.
    socket.on("error", (e: Error) => fail(e));
    socket.once("connect", () => onConnected(socket));
  });
}
