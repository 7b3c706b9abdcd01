/**
 * Server TLS credentials: each accepted connection is wrapped in TLS with ALPN "h2"
 * and, unless turned off, "http/1.1" (for browsers' gRPC-Web calls), the certificate is chosen by the SNI name the client sent, and client certificates
 * are requested and verified when asked for (mutual TLS).
 */
import type { HandshakeResult, ServerCredentials } from "@grpckit/core";
import { X509Certificate } from "node:crypto";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { guardHandshake } from "./handshake-guard.js";
import { isCertificateProvider, type CertificateMaterial, type CertificateProvider, type Pem } from "./certificate-provider.js";
import { defaultHandshakeTimeoutMs } from "./channel-credentials.js";
import { tlsAuthInfo } from "./peer-certificate.js";

/** A certificate chain and its private key. */
export interface KeyPair {
  cert: Pem;
  key: Pem;
}

/**
 * The server's certificates: one pair, a rotating provider, or several (each literal or a
 * provider) chosen by the SNI name the client sends, the first being the default.
 */
export type ServerIdentity = KeyPair | { provider: CertificateProvider } | { certificates: (KeyPair | CertificateProvider)[] };

export interface TlsServerOptions {
  /** Whether clients are asked for a certificate: "none" (default), "optional" (verified when sent) or "require". */
  clientCertificate?: "none" | "optional" | "require";
  /** Roots that verify client certificates; a provider's own `ca` takes precedence. */
  ca?: Pem;
  /** Gives up a handshake that has not finished after this long. Default 20 s. */
  handshakeTimeoutMs?: number;
  /**
   * Whether HTTP/1.1 is offered by ALPN beside "h2" (default true), for browsers'
   * gRPC-Web calls and other HTTP/1.1 clients. "h2" stays preferred, so a client that
   * offers it gets HTTP/2, and a gRPC client (which offers only "h2") is served as before.
   * A client that offers no ALPN at all is served HTTP/1.1, since HTTP/2 over TLS needs
   * ALPN "h2". With false, only "h2" is offered and a client that does not agree on it is
   * refused, as grpc-go's server does.
   */
  allowHttp1?: boolean;
}

export type TlsServerCredentialsOptions = ServerIdentity & TlsServerOptions;

/** Server credentials whose certificates can be replaced while the server runs. */
export interface TlsServerCredentials extends ServerCredentials {
  /** New connections use `identity` from now on; open ones carry on. Throws if a certificate does not parse. */
  update(identity: ServerIdentity): void;
}

interface Entry {
  readonly source: KeyPair | CertificateProvider;
  version: number;
  context: tls.SecureContext;
  x509: X509Certificate;
}

/**
 * TLS credentials for a server, offering HTTP/2 and HTTP/1.1 over ALPN and, when `clientCertificate`
 * asks for it, verifying client certificates against `ca`.
 *
 * @example
 * const server = createServer({
 *   transport: http2Transport(),
 *   credentials: tlsServerCredentials({ cert: readFileSync("server.crt"), key: readFileSync("server.key") }),
 * });
 */
export function tlsServerCredentials(options: TlsServerCredentialsOptions): TlsServerCredentials {
  const mode = options.clientCertificate ?? "none";
  if (mode !== "none" && mode !== "optional" && mode !== "require") throw new TypeError(`unknown clientCertificate mode "${String(mode)}"`);
  const requestCert = mode !== "none";
  const timeoutMs = options.handshakeTimeoutMs ?? defaultHandshakeTimeoutMs;
  const allowHttp1 = options.allowHttp1 ?? true;
  if (typeof allowHttp1 !== "boolean") throw new TypeError(`allowHttp1 must be a boolean, not ${typeof allowHttp1}`);
  const alpnProtocols = allowHttp1 ? ["h2", "http/1.1"] : ["h2"];

  const build = (source: KeyPair | CertificateProvider): Entry => {
    const m: CertificateMaterial = isCertificateProvider(source) ? source.current : source;
    const ca = m.ca ?? options.ca;
    const context = tls.createSecureContext({ cert: m.cert, key: m.key, ...(requestCert && ca !== undefined ? { ca } : {}) });
    return { source, version: isCertificateProvider(source) ? source.version : 0, context, x509: new X509Certificate(firstPem(m.cert)) };
  };
  const entriesOf = (identity: ServerIdentity): Entry[] => {
    const sources = "certificates" in identity ? identity.certificates : "provider" in identity ? [identity.provider] : [identity];
    if (sources.length === 0) throw new TypeError("tlsServerCredentials needs at least one certificate");
    return sources.map(build);
  };
  let entries = entriesOf(options);

  /** The entry as of now: a provider that changed is rebuilt once, on the next connection. */
  const fresh = (i: number): Entry => {
    const e = entries[i];
    if (isCertificateProvider(e.source) && e.version !== e.source.version) entries[i] = build(e.source);
    return entries[i];
  };
  const sniCallback = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => {
    for (let i = 0; i < entries.length; i++) {
      const e = fresh(i);
      if (e.x509.checkHost(servername) !== undefined) return cb(null, e.context);
    }
    cb(null, fresh(0).context);
  };

  return {
    secure: true,
    update(identity: ServerIdentity) {
      entries = entriesOf(identity);
    },
    serverHandshake(socket: Duplex): Promise<HandshakeResult> {
      return new Promise<HandshakeResult>((resolve, reject) => {
        const tlsSocket = new tls.TLSSocket(socket, {
          isServer: true,
          secureContext: fresh(0).context,
          ALPNProtocols: alpnProtocols,
          requestCert,
          rejectUnauthorized: mode === "require",
          SNICallback: sniCallback,
        });
        const guard = guardHandshake(
          tlsSocket,
          socket,
          timeoutMs,
          {
            error: (e) => new Error(`TLS handshake failed: ${e.message}`, { cause: e }),
            close: () => new Error("the client closed the connection during the TLS handshake"),
            timeout: () => new Error(`TLS handshake timed out after ${timeoutMs} ms`),
          },
          reject,
        );
        tlsSocket.once("secure", () => {
          if (guard.settled) return;
          let authorized = false;
          if (requestCert) {
            const verifyError = clientVerifyError(tlsSocket);
            authorized = verifyError === null;
            if (verifyError !== null && (mode === "require" || hasPeerCertificate(tlsSocket))) {
              return guard.settle(new Error(`client certificate rejected: ${verifyError.message}`, { cause: verifyError }));
            }
          }
          const protocol = agreedProtocol(tlsSocket.alpnProtocol, allowHttp1);
          if (protocol === undefined) return guard.settle(new Error("the client did not offer HTTP/2 (ALPN h2)"));
          guard.settle();
          handOver(tlsSocket);
          tlsSocket.on("error", () => tlsSocket.destroy());
          resolve({ socket: tlsSocket, authInfo: tlsAuthInfo(tlsSocket, authorized), alpnProtocol: protocol });
        });
      });
    },
  };
}

/**
 * The HTTP version a connection speaks, from what ALPN agreed (false: the client offered
 * none); undefined when the server does not serve it. A client offering ALPN protocols
 * none of which the server offers never gets here: node ends its handshake with the
 * no_application_protocol alert.
 */
function agreedProtocol(alpn: string | false | null, allowHttp1: boolean): "h2" | "http/1.1" | undefined {
  if (alpn === "h2") return "h2";
  if (allowHttp1 && (alpn === "http/1.1" || alpn === false)) return "http/1.1";
  return undefined;
}

/** Internals of a server-side TLSSocket that node's own tls.Server sets once a handshake is accepted. */
interface ServerSocketInternals {
  secureConnecting?: boolean;
  _releaseControl?: () => boolean;
  _handle?: { verifyError?: () => Error | null } | null;
}

/**
 * Marks an accepted server-side socket as established the way node's tls.Server does:
 * node:http2 waits for 'secureConnect' on a socket still `secureConnecting`, and TLS errors
 * after the handshake reach 'error' listeners only once control is released.
 */
function handOver(socket: tls.TLSSocket): void {
  const internals = socket as unknown as ServerSocketInternals;
  if (typeof internals._releaseControl === "function") internals._releaseControl();
  internals.secureConnecting = false;
}

function hasPeerCertificate(socket: tls.TLSSocket): boolean {
  return socket.getPeerX509Certificate() !== undefined;
}

/**
 * The result of verifying the client's certificate against the trusted roots. node keeps
 * it on the socket's native handle (its own tls.Server reads it there); a socket without
 * that handle counts as unverified.
 */
function clientVerifyError(socket: tls.TLSSocket): Error | null {
  const handle = (socket as unknown as ServerSocketInternals)._handle;
  if (handle === undefined || handle === null || typeof handle.verifyError !== "function") return new Error("the client certificate could not be verified");
  return handle.verifyError();
}

/** The leaf of a PEM bundle, to read the names it serves. */
function firstPem(pem: Pem): string | Buffer {
  return Array.isArray(pem) ? pem[0] : pem;
}
