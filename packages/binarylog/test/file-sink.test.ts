import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { sizeDelimitedDecodeStream } from "@bufbuild/protobuf/wire";
import { GrpcLogEntrySchema, GrpcLogEntry_EventType, fileSink, type GrpcLogEntry } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "grpckit-binarylog-sink-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(path: string): Promise<GrpcLogEntry[]> {
  const out: GrpcLogEntry[] = [];
  for await (const e of sizeDelimitedDecodeStream(GrpcLogEntrySchema, createReadStream(path))) out.push(e);
  return out;
}

const entry = (callId: bigint, size = 0) =>
  create(GrpcLogEntrySchema, { callId, sequenceIdWithinCall: 1n, type: GrpcLogEntry_EventType.CLIENT_MESSAGE, payload: { case: "message", value: { length: size, data: new Uint8Array(size) } } });

describe("fileSink", () => {
  it("appends varint-delimited entries after what the file held, readable with any delimited reader", async () => {
    const path = join(dir, "append.bin");
    writeFileSync(path, "");
    for (const ids of [[1n, 2n], [3n]]) {
      const sink = fileSink(path);
      for (const id of ids) sink.write(entry(id, 200));
      await sink.close();
    }
    expect((await read(path)).map((e) => e.callId)).toEqual([1n, 2n, 3n]);
  });

  it("drops entries once more than maxQueuedBytes wait for the file, and counts them", async () => {
    const path = join(dir, "bounded.bin");
    const sink = fileSink(path, { maxQueuedBytes: 64 * 1024 });
    // 1000 entries of 1 KiB in one turn of the event loop: far more than 64 KiB queued.
    for (let i = 1; i <= 1000; i++) sink.write(entry(BigInt(i), 1024));
    await sink.close();
    const written = await read(path);
    console.log(`file sink: ${written.length} entries written, ${sink.dropped} dropped`);
    expect(sink.dropped).toBeGreaterThan(0);
    expect(written.length + sink.dropped).toBe(1000);
    expect(written.length).toBeLessThan(100);
    expect(written.map((e) => e.callId)).toEqual(written.map((_, i) => BigInt(i + 1)));
  });

  it("drops what is written after close", async () => {
    const path = join(dir, "closed.bin");
    const sink = fileSink(path);
    sink.write(entry(1n));
    await sink.close();
    sink.write(entry(2n));
    expect(sink.dropped).toBe(1);
    expect((await read(path)).map((e) => e.callId)).toEqual([1n]);
  });
});
