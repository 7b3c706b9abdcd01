/**
 * A certificate that can change while a process runs. Credentials read it for every new
 * connection, so `update` rotates the certificate without a restart; connections already
 * open keep the certificate they were made with.
 */
import { createSecureContext, type SecureContext } from "node:tls";

/** PEM text or bytes, or a list of them (a bundle). */
export type Pem = string | Buffer | (string | Buffer)[];

/** A certificate chain and its private key, with optionally the CA certificates to trust. */
export interface CertificateMaterial {
  cert: Pem;
  key: Pem;
  /** Roots that verify the peer; when absent, the credentials' own `ca` (or the system roots). */
  ca?: Pem;
}

/** Holds the current certificate; credentials accept it wherever they take `cert` and `key`. */
export interface CertificateProvider {
  /** The certificate new connections use. */
  readonly current: CertificateMaterial;
  /** Increases on every update, so users of the provider know when to rebuild. */
  readonly version: number;
  /** Replaces the certificate for connections made from now on. Throws if the PEMs do not parse or match. */
  update(material: CertificateMaterial): void;
}

/** Makes a provider starting with `material`; it is validated at once. */
export function createCertificateProvider(material: CertificateMaterial): CertificateProvider {
  check(material);
  let current = material;
  let version = 0;
  return {
    get current() {
      return current;
    },
    get version() {
      return version;
    },
    update(next: CertificateMaterial) {
      check(next);
      current = next;
      version++;
    },
  };
}

export function isCertificateProvider(value: unknown): value is CertificateProvider {
  return typeof value === "object" && value !== null && typeof (value as CertificateProvider).update === "function" && "current" in value;
}

/** Parses the material so a bad certificate or a key that does not match fails where it is given. */
function check(material: CertificateMaterial): SecureContext {
  return createSecureContext({ cert: material.cert, key: material.key, ...(material.ca !== undefined ? { ca: material.ca } : {}) });
}
