/**
 * A plaintext grpckit client on transport-h2 pointed at a TLS server: the call fails
 * UNAVAILABLE with a message that says the server seems to expect TLS and what to use.
 */
import { Code, GrpcError, createChannel, createClient } from "@grpckit/core";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { createPki, type Pki } from "../../credentials-tls/test/pki.js";
import { h2Transport } from "../src/index.js";

let pki: Pki;
beforeAll(() => {
  pki = createPki();
});
afterAll(() => pki.dispose());

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function plaintextCall(port: number): Promise<GrpcError> {
  const channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
  try {
    const error = await createClient(EchoService, channel)
      .echo({ message: "hello" }, { timeoutMs: 5000, waitForReady: false })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(GrpcError);
    return error as GrpcError;
  } finally {
    channel.close();
  }
}

describe("a plaintext client against a TLS server", () => {
  it("on a node:tls server, which closes without a byte, fails UNAVAILABLE saying to use tlsChannelCredentials()", async () => {
    const server = tls.createServer({ key: pki.server.key, cert: pki.server.cert, ALPNProtocols: ["h2"] });
    server.on("tlsClientError", () => {});
    const port = await listening(server);
    try {
      const error = await plaintextCall(port);
      console.log(`plaintext client, node:tls server: ${Code[error.code]}: ${error.message}`);
      expect(error.code).toBe(Code.UNAVAILABLE);
      expect(error.message).toContain("if the server expects TLS");
      expect(error.message).toContain("tlsChannelCredentials() from @grpckit/credentials-tls");
      // The address is named once, by "failed to connect to".
      expect(error.message.split("127.0.0.1:").length - 1).toBe(1);
    } finally {
      server.close();
    }
  });

  it("on a server that answers with a TLS alert record fails UNAVAILABLE saying the server seems to expect TLS", async () => {
    // A TLS 1.2 fatal alert, protocol_version (70): what some TLS stacks answer a plaintext hello with.
    const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);
    const server = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end(alert));
    });
    const port = await listening(server);
    try {
      const error = await plaintextCall(port);
      console.log(`plaintext client, TLS alert: ${Code[error.code]}: ${error.message}`);
      expect(error.code).toBe(Code.UNAVAILABLE);
      expect(error.message).toContain("the server answered with a TLS record: it seems to expect TLS");
      expect(error.message).toContain("tlsChannelCredentials() from @grpckit/credentials-tls");
      // The address is named once, by "failed to connect to".
      expect(error.message.split("127.0.0.1:").length - 1).toBe(1);
    } finally {
      server.close();
    }
  });
});
