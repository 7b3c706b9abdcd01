/**
 * A certificate provider that reads PEM files and reads them again every refresh
 * interval (grpc-go's `pemfile` provider), so certificates renewed on disk are used by
 * new connections without a restart. Files are often rewritten one at a time: a
 * certificate and key that do not match, or a file that does not parse, keep the pair in
 * force and log why; the next read that finds a matching pair takes it.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { LogVerbosity, log, trace } from "@grpckit/core";
import { createCertificateProvider, type CertificateMaterial, type CertificateProvider } from "./certificate-provider.js";

/** grpc-go's default refresh interval for the pemfile provider: 10 minutes. */
export const defaultPemRefreshIntervalMs = 10 * 60 * 1000;

export interface PemFileCertificateProviderOptions {
  /** The certificate chain, leaf first (PEM). */
  certFile: string;
  /** The private key of the leaf certificate (PEM). */
  keyFile: string;
  /** Roots that verify the peer (PEM); absent, the credentials' own `ca` or the system roots. */
  caFile?: string;
  /** How often the files are read again, in milliseconds. Default 10 minutes. */
  refreshIntervalMs?: number;
}

/** A provider backed by files; credentials take it wherever they take `provider`. */
export interface PemFileCertificateProvider extends CertificateProvider {
  /** Why the files on disk were last refused; undefined while what is in force is what is on disk. */
  readonly lastError: Error | undefined;
  /** Reads the files now, as the timer would; resolves once they are taken or refused. */
  reload(): Promise<void>;
  /** Stops reading the files; the certificate last taken stays in force. */
  close(): void;
}

interface Identity {
  cert: string;
  key: string;
}

/**
 * Loads the files now, and again every `refreshIntervalMs`. Throws when a file cannot
 * be read, does not parse, or the key does not match the certificate, so nothing starts
 * without a certificate.
 *
 * @example
 * const provider = createPemFileCertificateProvider({ certFile: "/etc/tls/tls.crt", keyFile: "/etc/tls/tls.key", refreshIntervalMs: 60_000 });
 * const server = createServer({ transport: h2Transport(), credentials: tlsServerCredentials({ provider }) });
 * // on shutdown
 * provider.close();
 */
export function createPemFileCertificateProvider(options: PemFileCertificateProviderOptions): PemFileCertificateProvider {
  const { certFile, keyFile, caFile } = options ?? ({} as PemFileCertificateProviderOptions);
  if (typeof certFile !== "string" || typeof keyFile !== "string") {
    throw new TypeError("createPemFileCertificateProvider needs both certFile and keyFile");
  }
  if (caFile !== undefined && typeof caFile !== "string") throw new TypeError("caFile must be a path");
  const interval = options.refreshIntervalMs ?? defaultPemRefreshIntervalMs;
  if (typeof interval !== "number" || !Number.isFinite(interval) || interval <= 0) {
    throw new TypeError(`refreshIntervalMs must be a positive number of milliseconds, got ${String(interval)}`);
  }

  const readNow = (path: string, what: string): string => {
    try {
      return readFileSync(path, "utf8");
    } catch (e) {
      throw new Error(`cannot read the ${what} file ${path}: ${(e as Error).message}`, { cause: e });
    }
  };
  let identity: Identity = { cert: readNow(certFile, "certificate"), key: readNow(keyFile, "key") };
  let ca = caFile !== undefined ? readNow(caFile, "CA") : undefined;
  const problem = identityProblem(identity, certFile, keyFile) ?? (ca !== undefined ? caProblem(ca, caFile!) : undefined);
  if (problem !== undefined) throw new Error(problem);
  const provider = createCertificateProvider(material(identity, ca));

  let lastError: Error | undefined;
  let reading: Promise<void> | undefined;
  let closed = false;

  const refuse = (message: string) => {
    // Said once per bad state of the files, not on every tick.
    if (lastError?.message !== message) log(LogVerbosity.ERROR, `credentials-tls: keeping the certificate in force: ${message}`);
    lastError = new Error(message);
  };

  const load = async (): Promise<void> => {
    let next: { cert: string; key: string; ca: string | undefined };
    try {
      const [cert, key, nextCa] = await Promise.all([
        readFile(certFile, "utf8"),
        readFile(keyFile, "utf8"),
        caFile !== undefined ? readFile(caFile, "utf8") : Promise.resolve(undefined),
      ]);
      next = { cert, key, ca: nextCa };
    } catch (e) {
      refuse(`cannot read ${(e as NodeJS.ErrnoException).path ?? "a certificate file"}: ${(e as Error).message}`);
      return;
    }
    if (closed) return;
    const problems: string[] = [];
    // The identity pair and the roots are taken independently, as grpc-go does: new roots
    // need not wait for a half-written pair, nor a new pair for a broken CA file.
    let nextIdentity = identity;
    if (next.cert !== identity.cert || next.key !== identity.key) {
      const p = identityProblem(next, certFile, keyFile);
      if (p === undefined) nextIdentity = { cert: next.cert, key: next.key };
      else problems.push(p);
    }
    let nextCa = ca;
    if (next.ca !== ca && next.ca !== undefined) {
      const p = caProblem(next.ca, caFile!);
      if (p === undefined) nextCa = next.ca;
      else problems.push(p);
    }
    if (nextIdentity !== identity || nextCa !== ca) {
      try {
        provider.update(material(nextIdentity, nextCa));
        identity = nextIdentity;
        ca = nextCa;
        trace("credentials_tls", `certificate files reloaded (${certFile}, ${keyFile}${caFile !== undefined ? `, ${caFile}` : ""})`);
      } catch (e) {
        problems.push(`the files do not make a usable TLS configuration: ${(e as Error).message}`);
      }
    }
    if (problems.length > 0) refuse(problems.join("; "));
    else lastError = undefined;
  };
  const reload = (): Promise<void> => (reading ??= load().finally(() => (reading = undefined)));

  const timer = setInterval(() => void reload(), interval);
  // Watching certificate files must not keep the process alive on its own.
  timer.unref();

  return {
    get current() {
      return provider.current;
    },
    get version() {
      return provider.version;
    },
    update(m: CertificateMaterial) {
      provider.update(m);
    },
    get lastError() {
      return lastError;
    },
    reload,
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}

function material(identity: Identity, ca: string | undefined): CertificateMaterial {
  return { cert: identity.cert, key: identity.key, ...(ca !== undefined ? { ca } : {}) };
}

/** Why this certificate and key cannot be used together, or undefined when they can. */
function identityProblem(identity: Identity, certFile: string, keyFile: string): string | undefined {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(identity.cert);
  } catch (e) {
    return `${certFile} holds no PEM certificate that parses (${(e as Error).message})`;
  }
  let key;
  try {
    key = createPrivateKey(identity.key);
  } catch (e) {
    return `${keyFile} holds no PEM private key that parses (${(e as Error).message})`;
  }
  if (!leaf.checkPrivateKey(key)) {
    return `the key in ${keyFile} does not match the certificate in ${certFile} (serial ${leaf.serialNumber}); a pair half-written is taken once both files match`;
  }
  return undefined;
}

function caProblem(ca: string, caFile: string): string | undefined {
  try {
    new X509Certificate(ca);
    return undefined;
  } catch (e) {
    return `${caFile} holds no PEM certificate that parses (${(e as Error).message})`;
  }
}
