/**
 * The gRPC interop test matrix over TLS with the interop test certificates and
 * transport-http2 (node:http2) on every grpckit side: every client case in three
 * pairings (grpckit and @grpc/grpc-js on either side), and the binaries run with
 * --use_tls --transport=http2 as the official interop runner runs them.
 */
import type { ChildProcess } from "node:child_process";
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
    expect(result.stdout).toMatch(/^FAIL empty_unary: .*does not match the server name "example\.com"/m);
    expect(result.code).toBe(1);
  });
});
