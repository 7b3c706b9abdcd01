/**
 * The names a certificate is for, written the way a user compares them with the name
 * they connected by: "DNS:localhost, IP:127.0.0.1, IP:::1", or "CN=server" when the
 * certificate has no subject alternative names (only then does the CN count).
 */
import type { PeerCertificate } from "node:tls";

export function certificateNames(cert: PeerCertificate): string {
  const san = cert.subjectaltname;
  if (typeof san === "string" && san !== "") {
    // node writes "DNS:a, IP Address:0:0:0:0:0:0:0:1, URI:…"; a value holding ", " is quoted.
    return san
      .split(/, (?=[A-Za-z ]+:)/)
      .map((entry) => (entry.startsWith("IP Address:") ? `IP:${shortIp(entry.slice("IP Address:".length))}` : entry))
      .join(", ");
  }
  const cn = cert.subject?.CN;
  const name = Array.isArray(cn) ? cn.join(", ") : cn;
  return typeof name === "string" && name !== "" ? `CN=${name}` : "no name at all";
}

/** An IPv6 address in its short form (node spells them out in full); IPv4 as it is. */
function shortIp(ip: string): string {
  if (!ip.includes(":")) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip;
  }
}
