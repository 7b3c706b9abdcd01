/**
 * The gRPC interop test matrix over real loopback HTTP/2 in plaintext with
 * transport-http2 (node:http2) on every grpckit side: every client case in three
 * pairings (grpckit and @grpc/grpc-js on either side), and the two binaries run with
 * --transport=http2 as the official interop runner runs them.
 */
import type { ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { http2Transport } from "@grpckit/transport-http2";
import { testCaseNames } from "../src/case-parameters.js";
import { startGrpcJsServer, type GrpcJsServer } from "./grpc-js-server.js";
import { clientBin, freePort, run, startServerBin, startServerBinListening, stopAll } from "./interop-bins.js";
import { describeInteropMatrix } from "./interop-matrix.js";

describeInteropMatrix({ suffix: " on transport-http2", grpckitTransport: () => http2Transport() });

describe("the interop binaries on transport-http2", () => {
  const children: ChildProcess[] = [];
  let grpcJsServer: GrpcJsServer | undefined;

  afterEach(async () => {
    await stopAll(children);
    await grpcJsServer?.close();
    grpcJsServer = undefined;
  });

  it("interop-client --transport=http2 --test_case=all passes every case against interop-server --transport=http2 and exits 0", async () => {
    const port = await freePort();
    const server = await startServerBinListening(port, ["--transport=http2"]);
    children.push(server.child);
    expect(server.banner).toMatch(/\(transport http2\)$/);
    const result = await run(clientBin, [`--server_port=${port}`, "--transport=http2", "--test_case=all"]);
    expect(result.stderr).toBe("");
    for (const name of testCaseNames) expect(result.stdout).toContain(`PASS ${name}\n`);
    expect(result.stdout).not.toContain("FAIL");
    expect(result.code).toBe(0);
  });

  it("interop-client takes --name value flags as well as --name=value", async () => {
    const port = await freePort();
    children.push(await startServerBin(port, ["--transport", "http2"]));
    const result = await run(clientBin, ["--server_host", "127.0.0.1", "--server_port", String(port), "--transport", "http2", "--test_case", "large_unary", "--use_tls", "false"]);
    expect(result.stdout).toBe("PASS large_unary\n");
    expect(result.code).toBe(0);
  });

  it("interop-client prints FAIL with the failed assertion and exits 1 when a case fails", async () => {
    // The grpc-js server does not reject an uncompressed request that expects compression.
    grpcJsServer = await startGrpcJsServer();
    const port = grpcJsServer.address.slice(grpcJsServer.address.lastIndexOf(":") + 1);
    const result = await run(clientBin, ["--server_host=127.0.0.1", `--server_port=${port}`, "--transport=http2", "--test_case=empty_unary,client_compressed_unary"]);
    expect(result.stdout).toContain("PASS empty_unary\n");
    expect(result.stdout).toMatch(/^FAIL client_compressed_unary: UnaryCall with an uncompressed request expecting compression \(feature probe\) succeeded, expected status INVALID_ARGUMENT$/m);
    expect(result.code).toBe(1);
  });

  it("interop-client --use_test_ca without --use_tls is a usage error (exit 2)", async () => {
    const result = await run(clientBin, ["--server_port=1", "--test_case=empty_unary", "--use_test_ca"]);
    expect(result.stderr).toContain("need --use_tls=true");
    expect(result.code).toBe(2);
  });

  it("interop-client rejects an unknown test case with exit code 2", async () => {
    const result = await run(clientBin, ["--server_port=1", "--test_case=no_such_case"]);
    expect(result.stderr).toContain('unknown test case "no_such_case"');
    expect(result.code).toBe(2);
  });
});
