/**
 * What a user reads when a channel on transport-http2 cannot connect: the address once,
 * then what went wrong; and, for a plaintext channel to a TLS server, a hint to use TLS.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, type Channel } from "@grpckit/core";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { http2Transport } from "../src/index.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function channel(target: string): Channel {
  const c = createChannel(target, { transport: http2Transport() });
  cleanups.push(() => c.close());
  return c;
}

async function failure(target: string): Promise<GrpcError> {
  const err = await createClient(EchoService, channel(target))
    .echo({ message: "hello" }, { timeoutMs: 5000 })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(GrpcError);
  return err as GrpcError;
}

async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A node:tls server with a self-signed certificate made by the openssl CLI; it serves nothing. */
async function tlsServer(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-http2-tls-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
      "-subj", "/CN=localhost", "-days", "2"],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  const server = tls.createServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")), ALPNProtocols: ["h2"] });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

describe("connect errors on transport-http2", () => {
  it("a refused connection reads \"failed to connect to ADDRESS: connect ECONNREFUSED ADDRESS\", the prefix once", async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const err = await failure(address);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toBe(`[unavailable] failed to connect to ${address}: connect ECONNREFUSED ${address}`);
  });

  it("a plaintext channel to a TLS server fails saying the server seems to expect TLS and what to use", async () => {
    const address = `127.0.0.1:${await tlsServer()}`;
    const err = await failure(address);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toMatch(new RegExp(`^\\[unavailable\\] failed to connect to ${address}: the server at ${address} closed the connection without answering the HTTP/2 preface`));
    expect(err.message).toContain("it seems to expect TLS; use tlsChannelCredentials() from @grpckit/credentials-tls");
  });

  it("a plaintext server that closes after answering in HTTP/1 gets no TLS hint", async () => {
    const server = net.createServer((socket) => socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const err = await failure(address);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(err.message).toMatch(new RegExp(`^\\[unavailable\\] failed to connect to ${address}: `));
    expect(err.message).not.toContain("TLS");
  });
});
