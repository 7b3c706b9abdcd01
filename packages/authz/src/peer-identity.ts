/**
 * Who a peer is, as a policy's principals see it: whether the connection is TLS, and
 * the verified client certificate's URI SANs (SPIFFE IDs), DNS SANs and subject.
 * Read from core's Peer: TLS credentials (as @grpckit/credentials-tls does) put
 * `type: "tls"`, `authorized`, `subjectAltNames` ("URI:…", "DNS:…") and node's
 * `peerCertificate` on the AuthInfo.
 */
import type { Peer } from "@grpckit/core";

export interface PeerIdentity {
  /** The connection is TLS; principals never match a plaintext peer. */
  readonly authenticated: boolean;
  /** The peer sent a certificate its TLS handshake verified. */
  readonly hasCertificate: boolean;
  readonly uriSans: readonly string[];
  readonly dnsSans: readonly string[];
  /** The certificate's subject as RFC 2253 text, most specific first ("CN=client,O=Example"). */
  readonly subject: string;
  /** The SPIFFE ID when the certificate has exactly one URI SAN and it is one; "" otherwise (the audit principal). */
  readonly spiffeId: string;
}

const plaintext: PeerIdentity = { authenticated: false, hasCertificate: false, uriSans: [], dnsSans: [], subject: "", spiffeId: "" };
const tlsWithoutCertificate: PeerIdentity = { ...plaintext, authenticated: true };

// A connection's peer is one object for all its streams: its identity is read once.
const identities = new WeakMap<Peer, PeerIdentity>();

export function peerIdentity(peer: Peer): PeerIdentity {
  let identity = identities.get(peer);
  if (identity === undefined) {
    identity = readIdentity(peer);
    identities.set(peer, identity);
  }
  return identity;
}

interface CertificateLike {
  subject?: Record<string, string | string[] | undefined>;
  subjectaltname?: string;
}

function readIdentity(peer: Peer): PeerIdentity {
  const auth = peer.authInfo;
  if (auth?.type !== "tls") return plaintext;
  const cert = auth.peerCertificate as CertificateLike | undefined;
  // An unverified certificate proves nothing: the peer counts as one without a certificate.
  if (cert === undefined || cert === null || typeof cert !== "object" || Object.keys(cert).length === 0 || auth.authorized === false) {
    return tlsWithoutCertificate;
  }
  const names = Array.isArray(auth.subjectAltNames) ? (auth.subjectAltNames as string[]) : splitNodeAltNames(cert.subjectaltname);
  const uriSans: string[] = [];
  const dnsSans: string[] = [];
  for (const entry of names) {
    if (entry.startsWith("URI:")) uriSans.push(unquote(entry.slice(4)));
    else if (entry.startsWith("DNS:")) dnsSans.push(unquote(entry.slice(4)));
  }
  const spiffeId = uriSans.length === 1 && uriSans[0].startsWith("spiffe://") ? uriSans[0] : "";
  return { authenticated: true, hasCertificate: true, uriSans, dnsSans, subject: rfc2253(cert.subject), spiffeId };
}

/** Node quotes a SAN value holding a comma or quote as a JSON string. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return String(JSON.parse(value));
  } catch {
    return value;
  }
}

function splitNodeAltNames(text: string | undefined): string[] {
  return text === undefined || text === "" ? [] : text.split(/,\s*(?=[A-Za-z ]+:)/).map((s) => s.trim());
}

/** Node lists subject attributes in certificate order; RFC 2253 writes them most specific first. */
function rfc2253(subject: CertificateLike["subject"]): string {
  if (subject === undefined || subject === null || typeof subject !== "object") return "";
  const parts: string[] = [];
  for (const [type, value] of Object.entries(subject)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${type}=${escapeValue(v)}`);
  }
  return parts.reverse().join(",");
}

function escapeValue(value: string): string {
  let out = value.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ") && !out.endsWith("\\ ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}
