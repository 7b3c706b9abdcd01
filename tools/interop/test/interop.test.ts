/**
 * The gRPC interop test matrix over real loopback HTTP/2: every client case in
 * three pairings (grpckit and @grpc/grpc-js on either side), and the two binaries
 * run as the official interop runner runs them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, type Channel } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { testCaseNames } from "../src/case-parameters.js";
import { interopCases, type TestServiceClient } from "../src/client.js";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import { startInteropServer, type InteropServer } from "../src/server.js";
import { createGrpcJsClients, grpcJsCases, type GrpcJsClients } from "./grpc-js-client.js";
import { startGrpcJsServer, type GrpcJsServer } from "./grpc-js-server.js";

describe("grpckit client -> grpckit server", () => {
  let server: InteropServer;
  let channel: Channel;
  let client: TestServiceClient;

  beforeAll(async () => {
    server = await startInteropServer();
    channel = createChannel(server.address, { transport: http2Transport() });
    client = createClient(TestService, channel);
  });
  afterAll(async () => {
    channel?.close();
    await server?.close();
  });

  for (const name of testCaseNames) {
    it(`${name} passes`, () => interopCases[name](client, { channel }));
  }
});

describe("grpckit client -> grpc-js server", () => {
  let server: GrpcJsServer;
  let channel: Channel;
  let client: TestServiceClient;
  // A grpc-js server cannot compress responses or tell a compressed request from a
  // plain one, so the assertions only those features can satisfy are left out.
  const serverFeatures = { compressedRequest: false, compressedResponse: false };

  beforeAll(async () => {
    server = await startGrpcJsServer();
    channel = createChannel(server.address, { transport: http2Transport() });
    client = createClient(TestService, channel);
  });
  afterAll(async () => {
    channel?.close();
    await server?.close();
  });

  for (const name of testCaseNames) {
    it(`${name} passes`, () => interopCases[name](client, { channel, serverFeatures }));
  }
});

describe("grpc-js client -> grpckit server", () => {
  let server: InteropServer;
  let clients: GrpcJsClients;

  beforeAll(async () => {
    server = await startInteropServer();
    clients = createGrpcJsClients(server.address);
  });
  afterAll(async () => {
    clients?.close();
    await server?.close();
  });

  for (const name of testCaseNames) {
    it(`${name} passes`, () => grpcJsCases[name](clients));
  }
});

const serverBin = fileURLToPath(new URL("../bin/interop-server.js", import.meta.url));
const clientBin = fileURLToPath(new URL("../bin/interop-client.js", import.meta.url));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a binary to its end (killed after `timeoutMs`). */
async function run(bin: string, args: string[], timeoutMs = 30_000): Promise<Exit> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A port that was free a moment ago: listened on with port 0, then closed. */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  await once(probe, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Starts the server binary and resolves once it says it is listening. */
async function startServerBin(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [serverBin, `--port=${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      output += s;
      if (output.includes("listening")) resolve();
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.once("exit", (code) => reject(new Error(`interop-server exited with ${code} before listening: ${output}`)));
  });
  try {
    await ready;
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return child;
}

describe("the interop binaries", () => {
  const children: ChildProcess[] = [];
  let grpcJsServer: GrpcJsServer | undefined;

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    }
    await grpcJsServer?.close();
    grpcJsServer = undefined;
  });

  it("interop-client --test_case=all passes every case against interop-server and exits 0", async () => {
    const port = await freePort();
    children.push(await startServerBin(port));
    const result = await run(clientBin, [`--server_port=${port}`, "--test_case=all"]);
    expect(result.stderr).toBe("");
    for (const name of testCaseNames) expect(result.stdout).toContain(`PASS ${name}\n`);
    expect(result.stdout).not.toContain("FAIL");
    expect(result.code).toBe(0);
  });

  it("interop-client takes --name value flags as well as --name=value", async () => {
    const port = await freePort();
    children.push(await startServerBin(port));
    const result = await run(clientBin, ["--server_host", "127.0.0.1", "--server_port", String(port), "--test_case", "large_unary", "--use_tls", "false"]);
    expect(result.stdout).toBe("PASS large_unary\n");
    expect(result.code).toBe(0);
  });

  it("interop-client prints FAIL with the failed assertion and exits 1 when a case fails", async () => {
    // The grpc-js server does not reject an uncompressed request that expects compression.
    grpcJsServer = await startGrpcJsServer();
    const port = grpcJsServer.address.slice(grpcJsServer.address.lastIndexOf(":") + 1);
    const result = await run(clientBin, ["--server_host=127.0.0.1", `--server_port=${port}`, "--test_case=empty_unary,client_compressed_unary"]);
    expect(result.stdout).toContain("PASS empty_unary\n");
    expect(result.stdout).toMatch(/^FAIL client_compressed_unary: UnaryCall with an uncompressed request expecting compression \(feature probe\) succeeded, expected status INVALID_ARGUMENT$/m);
    expect(result.code).toBe(1);
  });

  it("interop-server --use_tls=true says TLS is not yet supported and exits 2", async () => {
    const result = await run(serverBin, ["--port=0", "--use_tls=true"]);
    expect(result.stderr).toContain("TLS is not yet supported");
    expect(result.code).toBe(2);
  });

  it("interop-client --use_tls says TLS is not yet supported and exits 2", async () => {
    const result = await run(clientBin, ["--server_port=1", "--test_case=empty_unary", "--use_tls"]);
    expect(result.stderr).toContain("TLS is not yet supported");
    expect(result.code).toBe(2);
  });

  it("interop-client rejects an unknown test case with exit code 2", async () => {
    const result = await run(clientBin, ["--server_port=1", "--test_case=no_such_case"]);
    expect(result.stderr).toContain('unknown test case "no_such_case"');
    expect(result.code).toBe(2);
  });
});
