/**
 * The interop test certificates in testdata/: a test CA and a server certificate it
 * signed, for running the interop binaries and tests over TLS.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const testdata = (name: string): string => fileURLToPath(new URL(`../testdata/${name}`, import.meta.url));

/** Path of the test CA certificate (PEM). */
export const testCaFile = testdata("ca.pem");
/** Path of the test server certificate (PEM), signed by the test CA. */
export const testServerCertFile = testdata("server1.pem");
/** Path of the test server private key (PEM). */
export const testServerKeyFile = testdata("server1.key");

/** The name grpc's interop clients check the test server certificate against by default. */
export const defaultServerHostOverride = "foo.test.google.fr";

/** Reads a PEM file. */
export function readPem(path: string): Buffer {
  return readFileSync(path);
}
