import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ErrorCode, SettingId, settingsFrame, frameHeaderLength } from "../src/frame.js";
import { ReceiveWindow, SendWindow } from "../src/flow-control.js";
import { SettingsError, applySettings, defaultH2Settings } from "../src/settings.js";
import { WriteBatcher } from "../src/write-batcher.js";

const payload = (pairs: [number, number][]) => settingsFrame(pairs).subarray(frameHeaderLength);

describe("SETTINGS", () => {
  it("applies known settings in order, ignores unknown ones, and reports the window change", () => {
    const s = defaultH2Settings();
    const delta = applySettings(
      s,
      payload([
        [SettingId.INITIAL_WINDOW_SIZE, 100_000],
        [SettingId.MAX_CONCURRENT_STREAMS, 10],
        [0x99, 1],
        [SettingId.MAX_FRAME_SIZE, 32_768],
        [SettingId.ENABLE_PUSH, 0],
      ]),
    );
    expect(delta).toBe(100_000 - 65_535);
    expect(s).toMatchObject({ initialWindowSize: 100_000, maxConcurrentStreams: 10, maxFrameSize: 32_768, enablePush: false });
  });

  it("refuses values out of range with the error code RFC 9113 names", () => {
    const code = (pairs: [number, number][]) => {
      try {
        applySettings(defaultH2Settings(), payload(pairs));
      } catch (e) {
        return (e as SettingsError).code;
      }
      return undefined;
    };
    expect(code([[SettingId.ENABLE_PUSH, 2]])).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(code([[SettingId.INITIAL_WINDOW_SIZE, 2 ** 31]])).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    expect(code([[SettingId.MAX_FRAME_SIZE, 16_383]])).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(code([[SettingId.MAX_FRAME_SIZE, 2 ** 24]])).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});

describe("flow-control windows", () => {
  it("a send window refuses to grow past 2^31-1", () => {
    const w = new SendWindow(65_535);
    w.consume(65_535);
    expect(w.size).toBe(0);
    expect(w.grow(2 ** 31 - 1)).toBe(true);
    expect(w.grow(1)).toBe(false);
  });

  it("a receive window refuses data beyond it, and is returned half a window at a time", () => {
    const w = new ReceiveWindow(1000);
    expect(w.receive(600)).toBe(true);
    expect(w.receive(401)).toBe(false);
    expect(w.release(300)).toBe(0);
    expect(w.release(300)).toBe(600);
    expect(w.size).toBe(1000);
  });
});

describe("WriteBatcher", () => {
  class FakeSocket extends EventEmitter {
    writes: Buffer[] = [];
    accept = true;
    write(chunk: Uint8Array): boolean {
      this.writes.push(Buffer.from(chunk));
      return this.accept;
    }
  }

  it("writes everything queued in one turn as one write", async () => {
    const socket = new FakeSocket();
    const b = new WriteBatcher(socket, () => {});
    b.push(Buffer.from("a"));
    b.push(Buffer.from("bc"));
    expect(socket.writes).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(socket.writes.map((w) => w.toString())).toEqual(["abc"]);
  });

  it("reports a full socket until it drains", async () => {
    const socket = new FakeSocket();
    let drained = 0;
    const b = new WriteBatcher(socket, () => drained++);
    socket.accept = false;
    b.push(Buffer.from("x"));
    await new Promise((r) => setImmediate(r));
    expect(b.writable).toBe(false);
    socket.emit("drain");
    expect(b.writable).toBe(true);
    expect(drained).toBe(1);
  });
});
