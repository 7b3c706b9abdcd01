/**
 * transport-h2 over a socket that is not a socket: a pair of in-memory duplex streams,
 * as any credentials' handshake may hand back. Both roles' connections run over it.
 */
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { insecureCredentials, keepaliveLimits, resolveClientKeepalive, type ClientStreamListener, type Http2Headers, type ServerTransportStream } from "@grpckit/core";
import { H2ClientConnection } from "../src/client-connection.js";
import type { FloodLimits, LocalSettings } from "../src/connection.js";
import { H2ServerConnection } from "../src/server-connection.js";

const local: LocalSettings = {
  initialWindowSize: 1 << 20,
  connectionWindowSize: 16 << 20,
  dynamicWindow: false,
  maxConcurrentStreams: Infinity,
  maxFrameSize: 16_384,
  maxHeaderListSize: 65_536,
  headerTableSize: 4096,
};
const limits: FloodLimits = { maxResetsPerSecond: 500, maxEmptyDataFramesPerSecond: 1000, maxContinuationFrames: 64 };

/** Two duplex streams, each writing into the other's readable side. */
function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = [];
  for (let i = 0; i < 2; i++) {
    const other = () => sides[1 - i];
    sides.push(
      new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          other().push(chunk);
          callback();
        },
        final(callback) {
          other().push(null);
          callback();
        },
      }),
    );
  }
  return [sides[0], sides[1]];
}

let pairs: Duplex[] = [];
afterEach(() => {
  for (const d of pairs) d.destroy();
  pairs = [];
});

describe("transport-h2 over an in-memory duplex pair", () => {
  it("carries a request and its response, headers, data and trailers, with no socket", async () => {
    const [clientSide, serverSide] = duplexPair();
    pairs.push(clientSide, serverSide);
    const received: Buffer[] = [];
    new H2ServerConnection(
      serverSide,
      local,
      limits,
      { address: "in-memory" },
      undefined,
      {
        onStream(stream: ServerTransportStream) {
          stream.setListener({
            onData: (chunk) => received.push(Buffer.from(chunk)),
            onEnd: () => {
              stream.sendHeaders({ ":status": 200, "content-type": "application/grpc" }, false);
              stream.write(Buffer.concat(received));
              stream.sendTrailers({ "grpc-status": "0" });
            },
            onDrain: () => {},
            onClose: () => {},
          });
        },
        onClose: () => {},
      },
      undefined,
    );
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const client = new H2ClientConnection(
      clientSide,
      local,
      limits,
      { address: "in-memory" },
      undefined,
      { authority: "localhost", credentials: insecureCredentials(), onGoaway: () => {}, onClose: () => {} },
      ready,
      resolveClientKeepalive(undefined, keepaliveLimits),
      () => {},
    );
    await isReady;
    const events: string[] = [];
    const chunks: Buffer[] = [];
    let trailers: Http2Headers | undefined;
    const closed = new Promise<number | undefined>((resolve) => {
      const listener: ClientStreamListener = {
        onHeaders: (h) => events.push(`headers ${String(h[":status"])}`),
        onData: (c) => chunks.push(Buffer.from(c)),
        onTrailers: (t) => {
          trailers = t;
          events.push("trailers");
        },
        onDrain: () => {},
        onClose: (rstCode) => resolve(rstCode),
      };
      const stream = client.openStream(
        { ":method": "POST", ":scheme": "http", ":path": "/p.S/M", ":authority": "localhost", "content-type": "application/grpc", te: "trailers" },
        listener,
      );
      stream.end(Buffer.from("in-memory bytes"));
    });
    expect(await closed).toBeUndefined();
    expect(events).toEqual(["headers 200", "trailers"]);
    expect(Buffer.concat(chunks).toString()).toBe("in-memory bytes");
    expect(trailers?.["grpc-status"]).toBe("0");
    client.destroy();
  });
});
