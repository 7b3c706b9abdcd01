/**
 * The gRPC interop test matrix with grpckit's own HTTP/2 transport (transport-h2) on
 * every grpckit side, in plaintext and over TLS: every client case in three pairings
 * (grpckit and @grpc/grpc-js on either side), and the binaries run with --transport=h2.
 */
import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { tlsChannelCredentials } from "@grpckit/credentials-tls";
import { h2Transport } from "@grpckit/transport-h2";
import { testCaseNames } from "../src/case-parameters.js";
import {
  defaultServerHostOverride,
  readPem,
  testCaFile,
  testServerCertFile,
  testServerKeyFile,
} from "../src/test-certificates.js";
import { clientBin, freePort, run, serverBin, startServerBinListening, stopAll } from "./interop-bins.js";
import { describeInteropMatrix } from "./interop-matrix.js";

const ca = readPem(testCaFile);

describeInteropMatrix({ suffix: " on transport-h2", grpckitTransport: () => h2Transport() });

describeInteropMatrix({
  suffix: " on transport-h2 over TLS",
  grpckitTransport: () => h2Transport(),
  grpckitServerTls: true,
  // The test certificate names 127.0.0.1; grpc-js's side checks the override name instead.
  grpckitClientCredentials: () => tlsChannelCredentials({ ca }),
  grpcJsServerTls: { cert: readPem(testServerCertFile), key: readPem(testServerKeyFile) },
  grpcJsClientTls: { ca, serverHostOverride: defaultServerHostOverride },
});

describe("the interop binaries on transport-h2", () => {
  const children: ChildProcess[] = [];

  afterEach(() => stopAll(children));

  it("interop-client --transport=h2 --test_case=all passes every case against interop-server --transport=h2 and exits 0", async () => {
    const port = await freePort();
    const server = await startServerBinListening(port, ["--transport=h2"]);
    children.push(server.child);
    expect(server.banner).toMatch(/\(transport h2\)$/);
    const result = await run(clientBin, ["--server_host=127.0.0.1", `--server_port=${port}`, "--transport=h2", "--test_case=all"]);
    expect(result.stderr).toBe("");
    for (const name of testCaseNames) expect(result.stdout).toContain(`PASS ${name}\n`);
    expect(result.stdout).not.toContain("FAIL");
    expect(result.code).toBe(0);
  });

  it("interop-client --transport h2 --use_tls passes against interop-server --transport h2 --use_tls", async () => {
    const port = await freePort();
    const server = await startServerBinListening(port, ["--transport", "h2", "--use_tls=true"]);
    children.push(server.child);
    expect(server.banner).toMatch(/\(transport h2\)$/);
    const result = await run(clientBin, [
      "--server_host=127.0.0.1",
      `--server_port=${port}`,
      "--transport",
      "h2",
      "--use_tls=true",
      "--use_test_ca=true",
      `--server_host_override=${defaultServerHostOverride}`,
      "--test_case=large_unary,ping_pong",
    ]);
    expect(result.stdout).toBe("PASS large_unary\nPASS ping_pong\n2 passed, 0 failed\n");
    expect(result.code).toBe(0);
  });

  it("interop-server without --transport runs on transport-h2 and says so", async () => {
    const server = await startServerBinListening(await freePort());
    children.push(server.child);
    expect(server.banner).toMatch(/^interop server listening on .+ \(transport h2\)$/);
  });

  it("interop-server and interop-client reject an unknown --transport with exit 2, listing h2 and http2", async () => {
    const server = await run(serverBin, ["--port=0", "--transport=quic"]);
    expect(server.stderr).toBe('interop-server: unknown transport "quic" (known: h2, http2)\n');
    expect(server.code).toBe(2);
    const client = await run(clientBin, ["--server_port=1", "--test_case=empty_unary", "--transport=quic"]);
    expect(client.stderr).toBe('interop-client: unknown transport "quic" (known: h2, http2)\n');
    expect(client.code).toBe(2);
  });
});
