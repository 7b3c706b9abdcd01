/**
 * Client TLS credentials: each new connection is wrapped in TLS with ALPN "h2", the
 * server's certificate is verified against the trusted roots and the server name, and
 * every failure is reported in words that say which check failed.
 */
import type { ChannelCredentials, HandshakeResult } from "@grpckit/core";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { guardHandshake } from "./handshake-guard.js";
import { isCertificateProvider, type CertificateProvider, type Pem } from "./certificate-provider.js";
import { verificationCodes } from "./verification-codes.js";
import { tlsAuthInfo } from "./peer-certificate.js";
import { certificateNames } from "./certificate-names.js";

/** How long a TLS handshake may take by default before the connection is given up. */
export const defaultHandshakeTimeoutMs = 20_000;

export interface TlsChannelCredentialsOptions {
  /** Roots that verify the server; the system's roots when absent. */
  ca?: Pem;
  /** Client certificate chain for mutual TLS (with `key`). */
  cert?: Pem;
  /** Private key of `cert`. */
  key?: Pem;
  /** A rotating client certificate (and optionally roots), instead of `cert`/`key`. */
  provider?: CertificateProvider;
  /** The name the server's certificate must hold and the SNI sent, instead of the authority's host. */
  serverNameOverride?: string;
  /** Replaces the name check; returns an Error when `cert` is not valid for `host`. */
  checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
  /** Gives up a handshake that has not finished after this long. Default 20 s. */
  handshakeTimeoutMs?: number;
}

/** The host part of "host", "host:port" or "[v6]:port". */
export function authorityHost(authority: string): string {
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    return end > 0 ? authority.slice(1, end) : authority;
  }
  const colon = authority.indexOf(":");
  if (colon < 0 || authority.indexOf(":", colon + 1) >= 0) return authority;
  return authority.slice(0, colon);
}

/** OpenSSL error codes that mean the peer did not answer in TLS at all. */
const notTls = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE|UNKNOWN_PROTOCOL|HTTP_REQUEST|ECONNRESET|EPIPE/;

/** OpenSSL's short reason ("wrong version number") and node's code, instead of the full OpenSSL error line. */
function describeTlsError(e: Error): string {
  const { code, reason } = e as Error & { code?: string; reason?: string };
  const text = typeof reason === "string" && reason !== "" ? reason : e.message.trim();
  return code !== undefined ? `${text} (${code})` : text;
}

/**
 * TLS credentials for a channel: the server must present a certificate trusted by `ca`
 * (or the system roots) that names the authority's host, and agree to HTTP/2 over ALPN.
 *
 * @example
 * const channel = createChannel("api.example.com:443", {
 *   transport: http2Transport(),
 *   credentials: tlsChannelCredentials({ ca: readFileSync("ca.crt") }),
 * });
 */
export function tlsChannelCredentials(options: TlsChannelCredentialsOptions = {}): ChannelCredentials {
  const provider = options.provider;
  if (provider !== undefined && !isCertificateProvider(provider)) throw new TypeError("provider must come from createCertificateProvider");
  if ((options.cert === undefined) !== (options.key === undefined)) throw new TypeError("a client certificate needs both cert and key");
  const timeoutMs = options.handshakeTimeoutMs ?? defaultHandshakeTimeoutMs;
  const identity = options.checkServerIdentity ?? tls.checkServerIdentity;

  let context: tls.SecureContext | undefined;
  let contextVersion = -1;
  const secureContext = (): tls.SecureContext => {
    if (provider === undefined) {
      context ??= tls.createSecureContext({ ca: options.ca, cert: options.cert, key: options.key });
    } else if (context === undefined || contextVersion !== provider.version) {
      const m = provider.current;
      context = tls.createSecureContext({ ca: m.ca ?? options.ca, cert: m.cert, key: m.key });
      contextVersion = provider.version;
    }
    return context;
  };
  // Built now so that bad PEMs fail where the credentials are made.
  secureContext();

  return {
    secure: true,
    clientHandshake(socket: Duplex, authority: string): Promise<HandshakeResult> {
      const name = options.serverNameOverride ?? authorityHost(authority);
      return new Promise<HandshakeResult>((resolve, reject) => {
        let identityError: Error | undefined;
        let tlsSocket: tls.TLSSocket;
        try {
          tlsSocket = tls.connect({
            socket,
            secureContext: secureContext(),
            ...(isIP(name) === 0 && name !== "" ? { servername: name } : {}),
            ALPNProtocols: ["h2"],
            rejectUnauthorized: true,
            checkServerIdentity: (_hostname, cert) => {
              const e = identity(name, cert);
              if (e === undefined) return undefined;
              const names = certificateNames(cert);
              identityError =
                options.checkServerIdentity === undefined
                  ? new Error(
                      `the server's certificate is for ${names}, not "${name}"; ` +
                        "connect by one of those names, or set serverNameOverride to the name the certificate holds",
                      { cause: e },
                    )
                  : new Error(`checkServerIdentity refused the server's certificate (for ${names}) as "${name}": ${e.message}`, { cause: e });
              return identityError;
            },
          });
        } catch (e) {
          socket.destroy();
          reject(e);
          return;
        }
        const describe = (e: Error): Error => {
          if (e === identityError) return e;
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== undefined && verificationCodes.has(code)) {
            return new Error(`certificate of ${authority} is not trusted: ${e.message} (${code})`, { cause: e });
          }
          const hint = code !== undefined && notTls.test(code) ? "; is the server using TLS?" : "";
          return new Error(`TLS handshake with ${authority} failed: ${describeTlsError(e)}${hint}`, { cause: e });
        };
        const guard = guardHandshake(
          tlsSocket,
          socket,
          timeoutMs,
          {
            error: describe,
            close: () => new Error(`TLS handshake with ${authority} failed: the server closed the connection; is it using TLS?`),
            timeout: () => new Error(`TLS handshake with ${authority} timed out after ${timeoutMs} ms; is the server using TLS?`),
          },
          reject,
        );
        tlsSocket.once("secureConnect", () => {
          if (guard.settled) return;
          if (tlsSocket.alpnProtocol !== "h2") return guard.settle(new Error(`the server at ${authority} did not agree to HTTP/2 (ALPN h2)`));
          guard.settle();
          // node reports a TLS alert after the handshake (a TLS 1.3 server refusing the client
          // certificate) as an error without closing; closing makes the HTTP/2 session see it,
          // and the message, which the transport passes on, says what the server sent.
          tlsSocket.on("error", (e: Error & { reason?: string }) => {
            if (typeof e.reason === "string" && e.reason !== "") e.message = `the server at ${authority} ended TLS: ${describeTlsError(e)}`;
            tlsSocket.destroy();
          });
          resolve({ socket: tlsSocket, authInfo: tlsAuthInfo(tlsSocket, tlsSocket.authorized), alpnProtocol: "h2" });
        });
      });
    },
  };
}
