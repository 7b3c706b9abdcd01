/**
 * A large bytes field goes from the caller's message to the transport without a copy,
 * in every way a message leaves a call: a unary request, a stream's requests, a
 * handler's responses, and the replay of a transparent retry.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createInMemoryTransport,
  type ClientTransport,
  type ClientTransportStream,
  type ServerTransportOptions,
  type TransportBuilder,
} from "../src/index.js";
import { collect, startEcho, type Harness } from "./support/harness.js";

/** Every chunk the client side wrote to its streams, and a switch to refuse the next stream. */
interface Recorder {
  transport: TransportBuilder;
  written: Uint8Array[];
  streamsOpened: number;
  /** The next stream opened is reset with REFUSED_STREAM once its first message is written. */
  refuseNext: boolean;
}

function recordingTransport(): Recorder {
  const inner = createInMemoryTransport();
  const recorder: Recorder = {
    written: [],
    streamsOpened: 0,
    refuseNext: false,
    transport: {
      name: inner.name,
      listen: (address: string, options: ServerTransportOptions) => inner.listen(address, options),
      async connect(address, options): Promise<ClientTransport> {
        const t = await inner.connect(address, options);
        return {
          get peer() {
            return t.peer;
          },
          openStream(headers, listener): ClientTransportStream {
            recorder.streamsOpened++;
            if (recorder.refuseNext) {
              recorder.refuseNext = false;
              // As a server that refused the stream before its application saw it.
              let refused = false;
              const refuse = (data: Uint8Array | undefined) => {
                if (data !== undefined) recorder.written.push(data);
                if (refused) return;
                refused = true;
                queueMicrotask(() => listener.onClose(7 /* REFUSED_STREAM */));
              };
              return { write: (data) => (refuse(data), true), end: refuse, reset() {}, pause() {}, resume() {} };
            }
            const s = t.openStream(headers, listener);
            return {
              write(data) {
                recorder.written.push(data);
                return s.write(data);
              },
              end(data) {
                if (data !== undefined) recorder.written.push(data);
                s.end(data);
              },
              reset: (code) => s.reset(code),
              pause: () => s.pause(),
              resume: () => s.resume(),
            };
          },
          close: () => t.close(),
          destroy: () => t.destroy(),
          ping: () => t.ping(),
        };
      },
    },
  };
  return recorder;
}

/** Whether `chunk` is `payload` itself: the same memory, not a copy of it. */
function sameMemory(chunk: Uint8Array, payload: Uint8Array): boolean {
  return chunk.buffer === payload.buffer && chunk.byteOffset === payload.byteOffset && chunk.byteLength === payload.byteLength;
}

function payloadOf(size: number, seed: number): Uint8Array {
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 31 + seed) & 0xff;
  return payload;
}

describe("large messages", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("a unary request's 64 KiB bytes field reaches the transport as the caller's own buffer, and is echoed intact", async () => {
    const recorder = recordingTransport();
    h = await startEcho({ transport: recorder.transport });
    const payload = payloadOf(64 * 1024, 1);
    const response = await h.client.echo({ message: "big", payload });
    expect(recorder.written.some((chunk) => sameMemory(chunk, payload))).toBe(true);
    expect(Buffer.from(response.payload).equals(Buffer.from(payload))).toBe(true);
    expect(response.message).toBe("big");
  });

  it("a bytes field under 16 KiB is copied into the message's frame", async () => {
    const recorder = recordingTransport();
    h = await startEcho({ transport: recorder.transport });
    const payload = payloadOf(16 * 1024 - 1, 2);
    const response = await h.client.echo({ payload });
    expect(recorder.written.some((chunk) => chunk.buffer === payload.buffer)).toBe(false);
    expect(Buffer.from(response.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it("every request of a bidi stream keeps its own large buffer, and the responses come back in order", async () => {
    const recorder = recordingTransport();
    h = await startEcho({ transport: recorder.transport });
    const payloads = [0, 1, 2, 3].map((i) => payloadOf(20_000 + i * 7_000, i + 3));
    async function* requests() {
      for (const [i, payload] of payloads.entries()) yield { message: `m${i}`, payload };
    }
    const responses = await collect(h.client.chat(requests()));
    expect(responses.map((r) => r.message)).toEqual(["m0", "m1", "m2", "m3"]);
    for (const [i, payload] of payloads.entries()) {
      expect(recorder.written.some((chunk) => sameMemory(chunk, payload))).toBe(true);
      expect(Buffer.from(responses[i].payload).equals(Buffer.from(payload))).toBe(true);
    }
  });

  it("a stream refused before the server saw it is sent again with the same large buffer, and succeeds", async () => {
    const recorder = recordingTransport();
    h = await startEcho({ transport: recorder.transport });
    await h.client.echo({ message: "warm-up" });
    recorder.written.length = 0;
    const opened = recorder.streamsOpened;
    recorder.refuseNext = true;
    const payload = payloadOf(40_000, 9);
    const response = await h.client.echo({ message: "again", payload });
    expect(recorder.streamsOpened - opened).toBe(2);
    expect(recorder.written.filter((chunk) => sameMemory(chunk, payload))).toHaveLength(2);
    expect(response.message).toBe("again");
    expect(Buffer.from(response.payload).equals(Buffer.from(payload))).toBe(true);
  });
});
