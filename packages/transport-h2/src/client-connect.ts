/**
 * The client side over node:net: connect a socket, run the credentials' handshake,
 * start the HTTP/2 connection and hand core the transport once the server's SETTINGS
 * arrived. The socket keeps the process alive while the transport is open; core
 * closes it when its channel closes.
 */
import {
  formatHostPort,
  formatUnixPath,
  parseTransportAddress,
  type ClientKeepalive,
  type ClientTransport,
  type ClientTransportOptions,
  type HandshakeResult,
  type NetAddress,
} from "@grpckit/core";
import net from "node:net";
import type { Duplex } from "node:stream";
import { H2ClientConnection } from "./client-connection.js";
import type { FloodLimits, LocalSettings } from "./connection.js";

/** Connects to `address` and resolves once the server's SETTINGS arrived. */
export function connectH2(
  address: string,
  options: ClientTransportOptions,
  local: LocalSettings,
  limits: FloodLimits,
  keepalive: ClientKeepalive,
  onTooManyPings: () => void,
): Promise<ClientTransport> {
  let target: NetAddress;
  try {
    target = parseTransportAddress(address);
  } catch (e) {
    return Promise.reject(e);
  }
  return new Promise<ClientTransport>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // While credentials run their handshake, the raw socket may be wrapped (TLS): it is
    // not destroyed underneath the wrapper; the handshake settles and is cleaned up then.
    let handshaking = false;
    let secured: Duplex | undefined;
    let connection: H2ClientConnection | undefined;

    // The message names no address: core's subchannel puts "failed to connect to <address>:"
    // before it, and node's socket errors already name the address they failed on.
    const fail = (cause: unknown, message = cause instanceof Error ? cause.message : String(cause)) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      // A wrapper (TLS) goes before the socket under it: node can crash reading a TLS
      // socket whose raw socket was destroyed first.
      secured?.destroy();
      if (!handshaking) raw.destroy();
      reject(new Error(message, { cause }));
    };

    if (options.connectTimeoutMs !== undefined) {
      const ms = options.connectTimeoutMs;
      timer = setTimeout(() => {
        timer = undefined;
        fail(undefined, `timed out after ${ms} ms`);
      }, ms);
    }

    const raw =
      "path" in target ? net.connect({ path: target.path }) : net.connect({ host: target.host || "localhost", port: target.port, noDelay: true });
    // Stays for the socket's life: before the connection exists it fails the connect;
    // after, the connection sees the error too and reports it.
    raw.on("error", (e) => fail(e));
    raw.once("connect", () => {
      if (settled) return;
      const peerAddress =
        "path" in target ? formatUnixPath(target.path) : formatHostPort(raw.remoteAddress ?? target.host, raw.remotePort ?? target.port);
      let handshake: Promise<HandshakeResult>;
      try {
        handshaking = true;
        handshake = options.credentials.clientHandshake(raw, options.authority);
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
            if (secured !== raw) raw.destroy();
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
          const localAddress = raw.localAddress !== undefined ? formatHostPort(raw.localAddress, raw.localPort ?? 0) : undefined;
          const onClose = options.onClose;
          connection = new H2ClientConnection(
            secured,
            local,
            limits,
            { address: peerAddress, authInfo: hs.authInfo },
            localAddress,
            {
              ...options,
              onClose: (error) => {
                if (!settled) fail(error ?? new Error("the connection closed before the server's SETTINGS arrived"));
                else onClose(error);
              },
            },
            () => {
              if (settled) return;
              settled = true;
              if (timer !== undefined) clearTimeout(timer);
              resolve(connection!);
            },
            keepalive,
            onTooManyPings,
          );
        },
        (e: unknown) => {
          handshaking = false;
          fail(e);
        },
      );
    });
  });
}
