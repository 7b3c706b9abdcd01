/**
 * The example's certificates, made with the openssl CLI in a temporary directory: a CA,
 * the server's certificate for localhost, and two client certificates whose SPIFFE IDs
 * (URI SANs) the policy names: a teller and an auditor.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyPair {
  cert: string;
  key: string;
}

export interface Certificates {
  ca: string;
  server: KeyPair;
  teller: KeyPair;
  auditor: KeyPair;
  /** The temporary directory, where the example also writes its policy file. */
  dir: string;
  dispose(): void;
}

export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-authz-example-"));
  const openssl = (...args: string[]) => {
    try {
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error("this example makes its certificates with the openssl command: install openssl");
      throw e;
    }
  };
  const key = (name: string) => openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  const leaf = (name: string, sans: string, usage: string) => {
    key(name);
    openssl("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${name}`, "-out", `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${sans}\nextendedKeyUsage=${usage}\n`);
    openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${name}.ext`, "-out", `${name}.crt`);
  };
  try {
    key("ca");
    openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=bank example CA", "-days", "1", "-out", "ca.crt",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    leaf("server", "DNS:localhost,IP:127.0.0.1", "serverAuth");
    leaf("teller", "URI:spiffe://bank.example/teller", "clientAuth");
    leaf("auditor", "URI:spiffe://bank.example/auditor", "clientAuth");
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  const pair = (name: string): KeyPair => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  return { ca: read("ca.crt"), server: pair("server"), teller: pair("teller"), auditor: pair("auditor"), dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
