/** What a TLS handshake learned of the peer, as core's AuthInfo. */
import type { AuthInfo } from "@grpckit/core";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";

/** AuthInfo of a TLS connection; `peerCertificate` and `subjectAltNames` are absent when the peer sent no certificate. */
export interface TlsAuthInfo extends AuthInfo {
  readonly type: "tls";
  readonly securityLevel: "privacy";
  /** The peer's certificate with its issuer chain (node's detailed form). */
  readonly peerCertificate: DetailedPeerCertificate | undefined;
  /** The peer certificate's subject alternative names, as "DNS:host", "IP Address:1.2.3.4", "URI:…". */
  readonly subjectAltNames: string[];
  /** The negotiated protocol version, e.g. "TLSv1.3". */
  readonly protocol: string | null;
  /** The negotiated cipher suite. */
  readonly cipher: { name: string; standardName: string; version: string };
  /** Whether the peer's certificate was verified against the trusted CAs. */
  readonly authorized: boolean;
}

export function tlsAuthInfo(socket: TLSSocket, authorized: boolean): TlsAuthInfo {
  const detailed = socket.getPeerCertificate(true);
  const peerCertificate = detailed !== null && typeof detailed === "object" && Object.keys(detailed).length > 0 ? detailed : undefined;
  return {
    type: "tls",
    securityLevel: "privacy",
    peerCertificate,
    subjectAltNames: splitAltNames(peerCertificate?.subjectaltname),
    protocol: socket.getProtocol(),
    cipher: socket.getCipher(),
    authorized,
  };
}

/** Splits node's "DNS:a, IP Address:1.2.3.4" form; entries node quotes (they hold a comma) stay whole. */
export function splitAltNames(text: string | undefined): string[] {
  if (text === undefined || text === "") return [];
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && quoted) i++;
    else if (c === "," && !quoted) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((s) => s.length > 0);
}
