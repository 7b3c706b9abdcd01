import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "../../src/status/code.js";
import { insecureCredentials } from "../../src/credentials/credentials.js";
import { createInMemoryTransport } from "../../src/transport/in-memory-transport.js";
import type { ClientTransport, Http2Headers, TransportBuilder } from "../../src/transport/transport.js";
import { startEcho, type Harness } from "../support/harness.js";
import { cutPoints, frameByFrame, hostileStream, splitAt } from "./data-streams.js";

const maxReceiveMessageBytes = 32;
const methods = ["Echo", "Expand", "Collect", "Chat"].map((m) => `/grpckit.test.v1.EchoService/${m}`);

interface Outcome {
  status: string | undefined;
  message: string | undefined;
  rstCode: number | undefined;
}

/**
 * Sends `chunks` as the DATA of one call straight through the transport seam and
 * resolves with how the server ended the stream; rejects after `boundMs`.
 */
function rawCall(conn: ClientTransport, address: string, path: string, chunks: readonly Uint8Array[], boundMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const outcome: Outcome = { status: undefined, message: undefined, rstCode: undefined };
    const takeStatus = (h: Http2Headers) => {
      if (h["grpc-status"] !== undefined) {
        outcome.status = String(h["grpc-status"]);
        outcome.message = h["grpc-message"] === undefined ? undefined : String(h["grpc-message"]);
      }
    };
    const timer = setTimeout(() => {
      stream.reset();
      reject(new Error(`the server did not end a call to ${path} within ${boundMs} ms`));
    }, boundMs);
    const stream = conn.openStream(
      {
        ":method": "POST",
        ":scheme": "http",
        ":path": path,
        ":authority": address,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": "2S",
      },
      {
        onHeaders: (h, endStream) => {
          if (endStream) takeStatus(h);
        },
        onData: () => {},
        onTrailers: takeStatus,
        onDrain: () => {},
        onClose: (rstCode) => {
          clearTimeout(timer);
          outcome.rstCode = rstCode;
          resolve(outcome);
        },
      },
    );
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

describe("a server receiving hostile DATA over the in-memory transport", () => {
  let transport: TransportBuilder;
  let echo: Harness;
  let conn: ClientTransport;
  let address: string;

  beforeAll(async () => {
    transport = createInMemoryTransport();
    address = "fuzz-server";
    echo = await startEcho({ transport, address, server: { maxReceiveMessageBytes } });
    conn = await transport.connect(address, {
      authority: address,
      credentials: insecureCredentials(),
      onGoaway: () => {},
      onClose: () => {},
    });
  });

  afterAll(async () => {
    conn.destroy();
    await echo.close();
  });

  it("ends every call with a grpc-status, never OK when the framing is broken, and still serves a normal call afterwards", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), hostileStream, cutPoints, async (path, bytes, cuts) => {
        const outcome = await rawCall(conn, address, path, splitAt(bytes, cuts), 5_000);
        expect(outcome.rstCode).toBeUndefined();
        expect(outcome.status).toMatch(/^\d+$/);
        expect(Code[Number(outcome.status)]).toBeDefined();
        if (outcome.status === String(Code.RESOURCE_EXHAUSTED)) expect(outcome.message).toMatch(/larger than max/);
        const framing = frameByFrame(bytes, maxReceiveMessageBytes);
        if (framing.error !== undefined) expect(outcome.status).not.toBe(String(Code.OK));
        if (framing.error === Code.RESOURCE_EXHAUSTED && framing.messages.length === 0) expect(outcome.status).toBe(String(Code.RESOURCE_EXHAUSTED));
      }),
      { numRuns: 1000 },
    );
    const reply = await echo.client.echo({ message: "still alive" }, { timeoutMs: 2_000 });
    expect(reply.message).toBe("still alive");
  });

  it("a frame longer than the server's limit ends the call with RESOURCE_EXHAUSTED", async () => {
    const header = Uint8Array.of(0, 0xff, 0xff, 0xff, 0xff);
    for (const path of methods) {
      const outcome = await rawCall(conn, address, path, [header], 5_000);
      expect(outcome.status).toBe(String(Code.RESOURCE_EXHAUSTED));
    }
  });
});
