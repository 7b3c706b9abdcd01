/**
 * Certificates for the tests, made with the openssl CLI in a temporary directory: a CA,
 * server and client certificates it signs, an unrelated CA with its own server
 * certificate, an expired server certificate, and two named certificates for SNI.
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
  readonly serverRotated: KeyPair;
  readonly client: KeyPair;
  readonly otherCa: string;
  readonly otherServer: KeyPair;
  readonly expiredServer: KeyPair;
  readonly alpha: KeyPair;
  readonly beta: KeyPair;
  /** Removes the temporary directory. */
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

/** Creates every certificate the tests use. */
export function createPki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-tls-"));
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  const key = (name: string) => openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);

  const makeCa = (name: string, cn: string) => {
    key(name);
    openssl(dir, ["req", "-x509", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-days", "2", "-out", `${name}.crt`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  };

  const leaf = (name: string, ca: string, cn: string, sans: string, usage: string) => {
    key(name);
    openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`]);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${sans}\nextendedKeyUsage=${usage}\n`);
    openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
      "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.crt`]);
  };

  /** `openssl ca` takes explicit start and end dates, so the validity can lie in the past. */
  const expiredLeaf = (name: string, ca: string, cn: string, sans: string) => {
    key(name);
    openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`]);
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "1000\n");
    writeFileSync(
      join(dir, "ca.cnf"),
      [
        "[ca]", "default_ca = past",
        "[past]", `dir = ${dir}`, "database = $dir/index.txt", "serial = $dir/serial", "new_certs_dir = $dir",
        `certificate = $dir/${ca}.crt`, `private_key = $dir/${ca}.key`, "default_md = sha256", "policy = anything",
        "unique_subject = no", "copy_extensions = none", "x509_extensions = leaf",
        "[anything]", "commonName = supplied",
        "[leaf]", `subjectAltName = ${sans}`, "extendedKeyUsage = serverAuth",
      ].join("\n"),
    );
    openssl(dir, ["ca", "-batch", "-config", "ca.cnf", "-notext", "-in", `${name}.csr`, "-out", `${name}.crt`,
      "-startdate", "20200101000000Z", "-enddate", "20200201000000Z"]);
  };

  const serverSans = "DNS:localhost,IP:127.0.0.1,IP:::1";
  try {
    makeCa("ca", "grpckit test CA");
    makeCa("other-ca", "unrelated CA");
    leaf("server", "ca", "server", serverSans, "serverAuth");
    leaf("server-rotated", "ca", "rotated server", serverSans, "serverAuth");
    leaf("client", "ca", "client", "DNS:client.test,URI:spiffe://grpckit.test/client", "clientAuth");
    leaf("other-server", "other-ca", "other server", serverSans, "serverAuth");
    leaf("alpha", "ca", "alpha", "DNS:alpha.test", "serverAuth,clientAuth");
    leaf("beta", "ca", "beta", "DNS:beta.test", "serverAuth,clientAuth");
    expiredLeaf("expired-server", "ca", "expired server", serverSans);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const pair = (name: string): KeyPair => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  return {
    ca: read("ca.crt"),
    server: pair("server"),
    serverRotated: pair("server-rotated"),
    client: pair("client"),
    otherCa: read("other-ca.crt"),
    otherServer: pair("other-server"),
    expiredServer: pair("expired-server"),
    alpha: pair("alpha"),
    beta: pair("beta"),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
