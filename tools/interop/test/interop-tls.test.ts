/**
 * The gRPC interop test matrix over TLS with the interop test certificates and
 * transport-http2 (node:http2) on every grpckit side: every client case in three
 * pairings (grpckit and @grpc/grpc-js on either side), and the binaries run with
 * --use_tls --transport=http2 as the official interop runner runs them.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tlsChannelCredentials } from "@grpckit/credentials-tls";
import { http2Transport } from "@grpckit/transport-http2";
import { testCaseNames } from "../src/case-parameters.js";
import {
  defaultServerHostOverride,
  readPem,
  testCaFile,
  testServerCertFile,
  testServerKeyFile,
} from "../src/test-certificates.js";
import { clientBin, freePort, run, startServerBin, stopAll } from "./interop-bins.js";
import { describeInteropMatrix } from "./interop-matrix.js";

const ca = readPem(testCaFile);

describeInteropMatrix({
  suffix: " on transport-http2 over TLS",
  grpckitTransport: () => http2Transport(),
  grpckitServerTls: true,
  // The test certificate names 127.0.0.1; grpc-js's side checks the override name instead.
  grpckitClientCredentials: () => tlsChannelCredentials({ ca }),
  grpcJsServerTls: { cert: readPem(testServerCertFile), key: readPem(testServerKeyFile) },
  grpcJsClientTls: { ca, serverHostOverride: defaultServerHostOverride },
});

describe("the interop binaries on transport-http2 over TLS", () => {
  const children: ChildProcess[] = [];

  afterEach(() => stopAll(children));

  it("interop-client --use_tls --use_test_ca --server_host_override=foo.test.google.fr passes every case against interop-server --use_tls and exits 0", async () => {
    const port = await freePort();
    children.push(await startServerBin(port, ["--use_tls=true", "--transport=http2"]));
    const result = await run(clientBin, [
      "--server_host=127.0.0.1",
      `--server_port=${port}`,
      "--transport=http2",
      "--use_tls=true",
      "--use_test_ca=true",
      `--server_host_override=${defaultServerHostOverride}`,
      "--test_case=all",
    ]);
    expect(result.stderr).toBe("");
    for (const name of testCaseNames) expect(result.stdout).toContain(`PASS ${name}\n`);
    expect(result.stdout).not.toContain("FAIL");
    expect(result.code).toBe(0);
  });

  it("interop-client --use_tls --ca_file trusts that CA for an interop-server given --tls_cert_file and --tls_key_file", async () => {
    const port = await freePort();
    children.push(await startServerBin(port, ["--use_tls=true", `--tls_cert_file=${testServerCertFile}`, `--tls_key_file=${testServerKeyFile}`, "--transport=http2"]));
    const result = await run(clientBin, [`--server_port=${port}`, "--use_tls=true", `--ca_file=${testCaFile}`, "--transport=http2", "--test_case=large_unary"]);
    expect(result.stdout).toBe("PASS large_unary\n");
    expect(result.code).toBe(0);
  });

  it("interop-client --use_tls --use_test_ca --ca_file=F trusts F as the test CA, as test runners pass both", async () => {
    const own = ownCa();
    try {
      const port = await freePort();
      children.push(await startServerBin(port, ["--use_tls=true", `--tls_cert_file=${own.certFile}`, `--tls_key_file=${own.keyFile}`, "--transport=http2"]));
      const args = ["--server_host=127.0.0.1", `--server_port=${port}`, "--use_tls=true", "--use_test_ca=true", "--transport=http2", "--test_case=large_unary"];
      // The server's certificate comes from a CA of this test's own: only F can verify it.
      const withFile = await run(clientBin, [...args, `--ca_file=${own.caFile}`]);
      expect(withFile.stderr).toBe("");
      expect(withFile.stdout).toBe("PASS large_unary\n");
      expect(withFile.code).toBe(0);
      const testCaOnly = await run(clientBin, args);
      expect(testCaOnly.stdout).toMatch(/^FAIL large_unary: .*not trusted/m);
      expect(testCaOnly.code).toBe(1);
    } finally {
      own.dispose();
    }
  });

  it("interop-client --use_tls without a CA rejects the test server's certificate and exits 1", async () => {
    const port = await freePort();
    children.push(await startServerBin(port, ["--use_tls=true", "--transport=http2"]));
    const result = await run(clientBin, ["--server_host=127.0.0.1", `--server_port=${port}`, "--use_tls=true", "--transport=http2", "--test_case=empty_unary"]);
    expect(result.stdout).toMatch(/^FAIL empty_unary: .*not trusted/m);
    expect(result.code).toBe(1);
  });

  it("interop-client --use_tls --use_test_ca fails a case when --server_host_override names a host the certificate lacks", async () => {
    const port = await freePort();
    children.push(await startServerBin(port, ["--use_tls=true", "--transport=http2"]));
    const result = await run(clientBin, [
      "--server_host=127.0.0.1",
      `--server_port=${port}`,
      "--transport=http2",
      "--use_tls=true",
      "--use_test_ca=true",
      "--server_host_override=example.com",
      "--test_case=empty_unary",
    ]);
    expect(result.stdout).toMatch(/^FAIL empty_unary: .*the server's certificate is for DNS:\*\.test\.google\.fr, .*not "example\.com"/m);
    expect(result.code).toBe(1);
  });
});

/** A CA of this test's own and a server certificate it signed for 127.0.0.1, made with the openssl CLI. */
function ownCa(): { caFile: string; certFile: string; keyFile: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-interop-ca-"));
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  try {
    for (const name of ["ca", "server"]) openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);
    openssl(["req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=interop test's own CA", "-days", "2", "-out", "ca.pem",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(["req", "-new", "-key", "server.key", "-subj", "/CN=server", "-out", "server.csr"]);
    writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
      "-extfile", "server.ext", "-out", "server.pem"]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
