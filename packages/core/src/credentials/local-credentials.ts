/**
 * Local credentials, as grpc-go's credentials/local: plaintext HTTP/2 that only runs over
 * a unix socket or a TCP connection to or from a loopback address, so a channel or server
 * that uses them cannot reach, or be reached from, another machine by mistake.
 */
import { Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { AuthInfo, ChannelCredentials, HandshakeResult, ServerCredentials } from "./credentials.js";

/** What a handshake with local credentials learned: the kind of connection, and how protected it is. */
export interface LocalAuthInfo extends AuthInfo {
  readonly type: "local";
  /** "privacy" on a unix socket (no other machine sees it), "none" on TCP loopback (any local process can). */
  readonly securityLevel: "privacy" | "none";
}

const unixSocketAuth: LocalAuthInfo = { type: "local", securityLevel: "privacy" };
const loopbackAuth: LocalAuthInfo = { type: "local", securityLevel: "none" };

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x (a dual-stack listener's view of 127.0.0.1). */
export function isLoopbackAddress(address: string): boolean {
  const v4 = address.toLowerCase().startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}

/** The security level of `socket` under local credentials; throws when it is neither a unix socket nor loopback. */
function localAuthInfo(socket: Duplex): LocalAuthInfo {
  if (!(socket instanceof Socket)) {
    throw new Error(
      "local credentials accept only unix sockets and loopback connections; a stream that is not a node:net socket is neither",
    );
  }
  const remote = socket.remoteAddress;
  // A unix socket has no remote address; a TCP socket has one while it is open.
  if (remote === undefined) {
    if (socket.destroyed) throw new Error("the connection closed before the local credentials' handshake");
    return unixSocketAuth;
  }
  if (isLoopbackAddress(remote)) return loopbackAuth;
  throw new Error(`local credentials accept only unix sockets and loopback connections; ${remote} is neither`);
}

function handshake(socket: Duplex): Promise<HandshakeResult> {
  try {
    return Promise.resolve({ socket, authInfo: localAuthInfo(socket) });
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

/**
 * Credentials for connections on this machine only: a unix socket, or TCP to or from
 * 127.0.0.0/8 or ::1. Anything else fails the handshake. The connection is plaintext
 * HTTP/2 (":scheme" http); its AuthInfo is `{ type: "local" }` with security level
 * "privacy" on a unix socket and "none" on TCP loopback. Call credentials that require
 * transport security (the default) therefore go out on a unix socket and are refused
 * over TCP loopback, as on any insecure connection.
 *
 * @example
 * const server = createServer({ credentials: localCredentials() });
 * await server.listen("unix:/run/app/grpc.sock");
 * const channel = createChannel("unix:/run/app/grpc.sock", { credentials: localCredentials() });
 */
export function localCredentials(): ChannelCredentials & ServerCredentials {
  return {
    secure: false,
    clientHandshake: (socket) => handshake(socket),
    serverHandshake: (socket) => handshake(socket),
  };
}
