/**
 * A self-signed certificate for 127.0.0.1, made with the openssl CLI, and the hash of its
 * public key that Chromium's --ignore-certificate-errors-spki-list trusts.
 */
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LoopbackCertificate {
  readonly cert: string;
  readonly key: string;
  /** base64 of the SHA-256 of the DER SubjectPublicKeyInfo. */
  readonly spkiHash: string;
}

export function createLoopbackCertificate(): LoopbackCertificate {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-browser-tls-"));
  try {
    try {
      execFileSync(
        "openssl",
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.crt",
          "-subj", "/CN=127.0.0.1", "-days", "2", "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "extendedKeyUsage=serverAuth"],
        { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error('the openssl command is missing: install the Debian package "openssl" to run these tests');
      throw new Error(`openssl req failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
    }
    const cert = readFileSync(join(dir, "server.crt"), "utf8");
    const key = readFileSync(join(dir, "server.key"), "utf8");
    const spki = createPublicKey(cert).export({ type: "spki", format: "der" });
    return { cert, key, spkiHash: createHash("sha256").update(spki).digest("base64") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
