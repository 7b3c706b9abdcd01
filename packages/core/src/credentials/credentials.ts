/**
 * Transport credentials: a handshake over a connected duplex socket that returns the
 * socket to use (secured or not) and what was learned of the peer. A transport calls
 * these; it never knows how the security works, so TLS and transports are independent.
 */
import type { Duplex } from "node:stream";
import type { AuthInfo } from "./auth-info.js";
import { combineCallCredentials, type CallCredentials } from "./call-credentials.js";

export type { AuthInfo, SecurityLevel } from "./auth-info.js";

export interface HandshakeResult {
  socket: Duplex;
  authInfo?: AuthInfo;
  /**
   * The ALPN protocol agreed, when the handshake negotiated one. Server credentials that
   * serve a TLS client offering no ALPN as HTTP/1.1 report "http/1.1" for it.
   */
  alpnProtocol?: string;
}

export interface ChannelCredentials {
  /** True when connections are TLS-protected (":scheme" https). */
  readonly secure: boolean;
  /** Call credentials carried with these transport credentials (see compositeChannelCredentials). */
  readonly callCredentials?: CallCredentials;
  /** Secures a freshly connected socket to `authority` (host[:port]). */
  clientHandshake(socket: Duplex, authority: string): Promise<HandshakeResult>;
}

export interface ServerCredentials {
  readonly secure: boolean;
  serverHandshake(socket: Duplex): Promise<HandshakeResult>;
}

const insecureAuth: AuthInfo = { type: "insecure", securityLevel: "none" };

/** Credentials for a plaintext (h2c) connection. */
export function insecureCredentials(): ChannelCredentials & ServerCredentials {
  return {
    secure: false,
    clientHandshake: (socket) => Promise.resolve({ socket, authInfo: insecureAuth }),
    serverHandshake: (socket) => Promise.resolve({ socket, authInfo: insecureAuth }),
  };
}

/**
 * Transport credentials plus call credentials, as grpc-go's composite credentials: a
 * channel made with them secures its connections and adds the call credentials'
 * metadata to every call.
 *
 * @example
 * const credentials = compositeChannelCredentials(tlsChannelCredentials({ ca }), bearerToken(getToken));
 */
export function compositeChannelCredentials(channel: ChannelCredentials, ...call: CallCredentials[]): ChannelCredentials {
  const all = channel.callCredentials !== undefined ? [channel.callCredentials, ...call] : call;
  return {
    secure: channel.secure,
    callCredentials: all.length === 1 ? all[0] : combineCallCredentials(...all),
    clientHandshake: (socket, authority) => channel.clientHandshake(socket, authority),
  };
}
