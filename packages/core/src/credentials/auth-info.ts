/**
 * What a connection's handshake learned of the peer, and how protected the connection
 * is: read by call credentials, server handlers and channelz alike.
 */

/**
 * How protected a connection is, as grpc-go's SecurityLevel: "none" (plaintext, or TCP
 * loopback with local credentials), "integrity" (tampering is detected, contents are
 * readable), "privacy" (privacy and integrity: TLS, or a unix socket with local credentials).
 */
export type SecurityLevel = "none" | "integrity" | "privacy";

/** What a handshake learned of the peer. */
export interface AuthInfo {
  /** "insecure", "tls", or a credential-specific name. */
  readonly type: string;
  /** How protected the connection is, as grpc-go's SecurityLevel (see {@link SecurityLevel}). */
  readonly securityLevel: SecurityLevel;
  readonly [key: string]: unknown;
}
