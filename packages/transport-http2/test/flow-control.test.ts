import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ClientRecorder,
  Inbox,
  ServerRecorder,
  connect,
  defaultStreamWindow,
  pattern,
  requestHeaders,
  responseHeaders,
  startServer,
  within,
  type TestClient,
  type TestServer,
} from "./harness.js";

const chunkSize = 64 << 10;
/** Far above what the default stream window plus the transport's buffers can hold. */
const bound = 4 * defaultStreamWindow;
/** While the reader is paused, the writer gives up waiting for a drain after this long. */
const stallMs = 300;
/** Once the reader has resumed, a drain this late counts as a stall (and fails the test). */
const resumedStallMs = 5000;
/** Bytes written in all, pause included. */
const total = 2 * bound;

let server: TestServer;
let client: TestClient;

beforeEach(async () => {
  server = await startServer();
  client = await connect(server.listener.address);
});

afterEach(() => {
  client.transport.destroy();
  server.listener.close();
});

interface Writer {
  write(data: Uint8Array): boolean;
}

/**
 * Writes 64 KiB chunks, waiting for a drain whenever write() says so, until a drain
 * does not come within `patienceMs` or `limit` bytes are written. Returns the bytes
 * written and whether it stalled.
 */
async function writeUntilStalled(
  writer: Writer,
  drains: Inbox<true>,
  hash: ReturnType<typeof createHash>,
  limit: number,
  start: number,
  patienceMs: number,
): Promise<{ written: number; stalled: boolean; refusals: number }> {
  let written = 0;
  let refusals = 0;
  for (let i = 0; start + written < limit; i++) {
    const chunk = pattern(chunkSize, start / chunkSize + i + 1);
    hash.update(chunk);
    written += chunk.length;
    if (!writer.write(chunk)) {
      refusals++;
      try {
        await drains.next(patienceMs, "a drain");
      } catch {
        return { written, stalled: true, refusals };
      }
    }
  }
  return { written, stalled: false, refusals };
}

function sha(chunks: Buffer[]): string {
  const h = createHash("sha256");
  for (const c of chunks) h.update(c);
  return h.digest("hex");
}

describe("a slow reader never makes the writer buffer without bound", () => {
  it("client to server: a paused server stream stops the client's writes, and resuming delivers every byte", async () => {
    const rec = new ClientRecorder();
    const stream = client.transport.openStream(requestHeaders, rec);
    const s = await server.streams.next();
    const srec = new ServerRecorder();
    s.setListener(srec);
    s.pause();

    const sent = createHash("sha256");
    const first = await writeUntilStalled(stream, rec.drains, sent, total, 0, stallMs);
    expect(first.stalled).toBe(true);
    expect(first.refusals).toBeGreaterThan(0);
    expect(first.written).toBeLessThan(bound);
    expect(srec.chunks.length).toBe(0);

    s.resume();
    await within(rec.drains.next(), 5000, "the drain after resume");
    const rest = await writeUntilStalled(stream, rec.drains, sent, total, first.written, resumedStallMs);
    expect(rest.stalled).toBe(false);
    stream.end();

    await within(srec.ended, 10_000, "the whole request");
    expect(srec.body.length).toBe(total);
    expect(sha(srec.chunks)).toBe(sent.digest("hex"));
  });

  it("server to client: a paused client stream stops the server's writes, and resuming delivers every byte", async () => {
    const rec = new ClientRecorder();
    const stream = client.transport.openStream(requestHeaders, rec);
    stream.pause();
    stream.end();
    const s = await server.streams.next();
    const srec = new ServerRecorder();
    s.setListener(srec);
    s.sendHeaders(responseHeaders, false);

    const sent = createHash("sha256");
    const first = await writeUntilStalled(s, srec.drains, sent, total, 0, stallMs);
    expect(first.stalled).toBe(true);
    expect(first.refusals).toBeGreaterThan(0);
    expect(first.written).toBeLessThan(bound);
    expect(rec.chunks.length).toBe(0);

    stream.resume();
    await within(srec.drains.next(), 5000, "the drain after resume");
    const rest = await writeUntilStalled(s, srec.drains, sent, total, first.written, resumedStallMs);
    expect(rest.stalled).toBe(false);
    s.sendTrailers({ "grpc-status": "0" });

    expect(await within(rec.closed, 10_000, "the whole response")).toEqual({ rstCode: undefined, error: undefined });
    expect(rec.body.length).toBe(total);
    expect(sha(rec.chunks)).toBe(sent.digest("hex"));
    expect(rec.events).toEqual(["headers", "data", "trailers", "close"]);
  });

  it("a paused stream does not hold up the other streams of its connection", async () => {
    const slow = new ClientRecorder();
    const slowStream = client.transport.openStream(requestHeaders, slow);
    slowStream.pause();
    const slowServer = await server.streams.next();
    const slowServerRec = new ServerRecorder();
    slowServer.setListener(slowServerRec);
    slowServer.sendHeaders(responseHeaders, false);
    const first = await writeUntilStalled(slowServer, slowServerRec.drains, createHash("sha256"), total, 0, stallMs);
    expect(first.stalled).toBe(true);

    const fast = new ClientRecorder();
    client.transport.openStream(requestHeaders, fast).end();
    const fastServer = await server.streams.next();
    fastServer.setListener(new ServerRecorder());
    fastServer.sendHeaders(responseHeaders, false);
    fastServer.write(pattern(2 << 20));
    fastServer.sendTrailers({ "grpc-status": "0" });
    await within(fast.closed, 5000, "the other stream to finish");
    expect(fast.body.equals(pattern(2 << 20))).toBe(true);
  });
});
