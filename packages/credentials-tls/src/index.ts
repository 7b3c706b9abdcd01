/**
 * TLS and mutual TLS for grpckit: channel and server credentials on node:tls, with
 * certificates chosen by SNI and rotated without a restart, by hand or from PEM files
 * read again on a timer.
 */
export {
  createCertificateProvider,
  type CertificateMaterial,
  type CertificateProvider,
  type Pem,
} from "./certificate-provider.js";
export {
  createPemFileCertificateProvider,
  defaultPemRefreshIntervalMs,
  type PemFileCertificateProvider,
  type PemFileCertificateProviderOptions,
} from "./pem-file-certificate-provider.js";
export { tlsChannelCredentials, type TlsChannelCredentialsOptions } from "./channel-credentials.js";
export {
  tlsServerCredentials,
  type KeyPair,
  type ServerIdentity,
  type TlsServerCredentials,
  type TlsServerCredentialsOptions,
  type TlsServerOptions,
} from "./server-credentials.js";
export type { TlsAuthInfo } from "./peer-certificate.js";
