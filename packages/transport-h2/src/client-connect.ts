/**
 * The client side over node:net: core's `dialTransport` connects a socket and runs the
 * credentials' handshake; this starts the HTTP/2 connection on the secured socket and
 * hands core the transport once the server's SETTINGS arrived. The socket keeps the
 * process alive while the transport is open; core closes it when its channel closes.
 */
import { dialTransport, type ClientKeepalive, type ClientTransport, type ClientTransportOptions } from "@grpckit/core";
import net from "node:net";
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
  return dialTransport(address, options, (target) => net.connect(target), (dialed) => {
    const onClose = options.onClose;
    const connection: H2ClientConnection = new H2ClientConnection(
      dialed.socket,
      local,
      limits,
      dialed.peer,
      dialed.localAddress,
      {
        ...options,
        onClose: (error) => {
          if (!dialed.settled) dialed.fail(error ?? new Error("the connection closed before the server's SETTINGS arrived"));
          else onClose(error);
        },
      },
      () => dialed.ready(connection),
      keepalive,
      onTooManyPings,
    );
  });
}
