/**
 * Certificates for the authorization tests, made with the openssl CLI in a temporary
 * directory: a CA, a server certificate, and client certificates whose identities a
 * policy names by SPIFFE ID (URI SAN), by DNS SAN, or by subject alone.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Pki {
  readonly ca: string;
  readonly server: KeyPair;
  /** URI:spiffe://grpckit.test/frontend, DNS:frontend.test, CN=frontend. */
  readonly frontend: KeyPair;
  /** URI:spiffe://grpckit.test/admin, CN=admin. */
  readonly admin: KeyPair;
  /** DNS:batch.internal only, CN=batch. */
  readonly batch: KeyPair;
  /** No SANs: CN=legacy, O=Grpckit Tests. */
  readonly legacy: KeyPair;
  dispose(): void;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error('the openssl command is missing: install the Debian package "openssl" to run these tests');
    }
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr}`);
  }
}

export function createPki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-authz-"));
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  const key = (name: string) => openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);
  const leaf = (name: string, subject: string, sans: string | undefined, usage: string) => {
    key(name);
    openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
    writeFileSync(join(dir, `${name}.ext`), `${sans === undefined ? "" : `subjectAltName=${sans}\n`}extendedKeyUsage=${usage}\n`);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
      "-extfile", `${name}.ext`, "-out", `${name}.crt`]);
  };
  try {
    key("ca");
    openssl(dir, ["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=grpckit authz test CA", "-days", "2", "-out", "ca.crt",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    leaf("server", "/CN=server", "DNS:localhost,IP:127.0.0.1", "serverAuth");
    leaf("frontend", "/CN=frontend", "URI:spiffe://grpckit.test/frontend,DNS:frontend.test", "clientAuth");
    leaf("admin", "/CN=admin", "URI:spiffe://grpckit.test/admin", "clientAuth");
    leaf("batch", "/CN=batch", "DNS:batch.internal", "clientAuth");
    leaf("legacy", "/O=Grpckit Tests/CN=legacy", undefined, "clientAuth");
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const pair = (name: string): KeyPair => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  return {
    ca: read("ca.crt"),
    server: pair("server"),
    frontend: pair("frontend"),
    admin: pair("admin"),
    batch: pair("batch"),
    legacy: pair("legacy"),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
