import { describe, expect, it } from "vitest";
import {
  ErrorCode,
  Flag,
  FrameType,
  connectionPreface,
  frame,
  goawayFrame,
  headersFrames,
  pingFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
} from "../src/frame.js";
import { FrameReader, type FrameHandler } from "../src/frame-reader.js";

type Event = [string, ...unknown[]];

function reader(opts: Partial<{ expectPreface: boolean; maxFrameSize: number; maxHeaderBlockBytes: number; maxContinuationFrames: number }> = {}) {
  const events: Event[] = [];
  const handler: FrameHandler = {
    onData: (id, end, data, flow) => events.push(["data", id, end, data.toString(), flow]),
    onHeaders: (id, end, block, dep) => events.push(["headers", id, end, block.toString(), dep]),
    onPriority: (id, dep) => events.push(["priority", id, dep]),
    onStreamError: (id, code) => events.push(["streamError", id, code]),
    onRstStream: (id, code) => events.push(["rst", id, code]),
    onSettings: (ack, params) => events.push(["settings", ack, params.byteLength]),
    onPushPromise: (id, promised, block) => events.push(["push", id, promised, block.toString()]),
    onPing: (ack, opaque) => events.push(["ping", ack, opaque.toString("hex")]),
    onGoaway: (last, code, debug) => events.push(["goaway", last, code, debug.toString()]),
    onWindowUpdate: (id, inc) => events.push(["window", id, inc]),
    onConnectionError: (code, message) => events.push(["error", code, message]),
  };
  const r = new FrameReader(handler, {
    expectPreface: opts.expectPreface ?? false,
    maxFrameSize: opts.maxFrameSize ?? 16_384,
    maxHeaderBlockBytes: opts.maxHeaderBlockBytes ?? 65_536,
    maxContinuationFrames: opts.maxContinuationFrames ?? 8,
  });
  return { r, events };
}

const settings = settingsFrame([]);
const padded = (type: number, flags: number, id: number, body: string, pad: number) =>
  frame(type, flags | Flag.PADDED, id, Buffer.concat([Buffer.from([pad]), Buffer.from(body), Buffer.alloc(pad)]));

describe("FrameReader", () => {
  it("reads every frame type, however the bytes are split", () => {
    const bytes = Buffer.concat([
      connectionPreface,
      settingsFrame([[0x3, 100]]),
      headersFrames(1, Buffer.from("hdrs"), false, 16_384),
      frame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("body")),
      rstStreamFrame(3, ErrorCode.CANCEL),
      pingFrame(Buffer.alloc(8, 7), false),
      windowUpdateFrame(0, 1000),
      goawayFrame(5, ErrorCode.NO_ERROR, "bye"),
      frame(0xfe, 0, 0, Buffer.from("unknown type, ignored")),
    ]);
    const expected: Event[] = [
      ["settings", false, 6],
      ["headers", 1, false, "hdrs", undefined],
      ["data", 1, true, "body", 4],
      ["rst", 3, ErrorCode.CANCEL],
      ["ping", false, "0707070707070707"],
      ["window", 0, 1000],
      ["goaway", 5, 0, "bye"],
    ];
    for (const step of [1, 2, 7, 9, 1000]) {
      const { r, events } = reader({ expectPreface: true });
      for (let i = 0; i < bytes.byteLength; i += step) r.push(bytes.subarray(i, i + step));
      expect(events).toEqual(expected);
    }
  });

  it("strips padding and priority fields, and counts padding for flow control", () => {
    const { r, events } = reader();
    r.push(settings);
    r.push(padded(FrameType.DATA, 0, 1, "abc", 4));
    const prio = Buffer.concat([Buffer.from([0x80, 0, 0, 3, 15]), Buffer.from("blk")]);
    r.push(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PRIORITY, 5, prio));
    expect(events.slice(1)).toEqual([
      ["data", 1, false, "abc", 8],
      ["headers", 5, false, "blk", 3],
    ]);
  });

  it("joins HEADERS and CONTINUATION frames into one block", () => {
    const { r, events } = reader();
    r.push(settings);
    r.push(headersFrames(1, Buffer.from("a".repeat(40)), true, 16));
    expect(events[1]).toEqual(["headers", 1, true, "a".repeat(40), undefined]);
  });

  const cases: [string, Buffer[], number, RegExp][] = [
    ["a wrong preface", [Buffer.from("GET / HTTP/1.1\r\n\r\n")], ErrorCode.PROTOCOL_ERROR, /client preface/],
    ["a first frame other than SETTINGS", [connectionPreface, pingFrame(Buffer.alloc(8), false)], ErrorCode.PROTOCOL_ERROR, /first frame/],
    ["a frame above the maximum size", [connectionPreface, settings, frame(FrameType.DATA, 0, 1, Buffer.alloc(16_385))], ErrorCode.FRAME_SIZE_ERROR, /exceeds/],
    ["DATA on stream 0", [connectionPreface, settings, frame(FrameType.DATA, 0, 0, Buffer.from("x"))], ErrorCode.PROTOCOL_ERROR, /stream 0/],
    ["padding as long as the frame", [connectionPreface, settings, frame(FrameType.DATA, Flag.PADDED, 1, Buffer.from([3, 0, 0]))], ErrorCode.PROTOCOL_ERROR, /padding/],
    ["a SETTINGS ACK with a payload", [connectionPreface, settings, frame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(6))], ErrorCode.FRAME_SIZE_ERROR, /ACK/],
    ["SETTINGS of a bad length", [connectionPreface, settings, frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(5))], ErrorCode.FRAME_SIZE_ERROR, /multiple of 6/],
    ["SETTINGS on a stream", [connectionPreface, settings, frame(FrameType.SETTINGS, 0, 1)], ErrorCode.PROTOCOL_ERROR, /on a stream/],
    ["a 7-byte PING", [connectionPreface, settings, frame(FrameType.PING, 0, 0, Buffer.alloc(7))], ErrorCode.FRAME_SIZE_ERROR, /PING/],
    ["a short WINDOW_UPDATE", [connectionPreface, settings, frame(FrameType.WINDOW_UPDATE, 0, 0, Buffer.alloc(3))], ErrorCode.FRAME_SIZE_ERROR, /WINDOW_UPDATE/],
    ["a short GOAWAY", [connectionPreface, settings, frame(FrameType.GOAWAY, 0, 0, Buffer.alloc(7))], ErrorCode.FRAME_SIZE_ERROR, /GOAWAY/],
    ["a lone CONTINUATION", [connectionPreface, settings, frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.from("x"))], ErrorCode.PROTOCOL_ERROR, /CONTINUATION/],
    [
      "a header block interrupted by another frame",
      [connectionPreface, settings, frame(FrameType.HEADERS, 0, 1, Buffer.from("x")), pingFrame(Buffer.alloc(8), false)],
      ErrorCode.PROTOCOL_ERROR,
      /interrupted/,
    ],
    [
      "a header block continued on another stream",
      [connectionPreface, settings, frame(FrameType.HEADERS, 0, 1, Buffer.from("x")), frame(FrameType.CONTINUATION, Flag.END_HEADERS, 3, Buffer.from("y"))],
      ErrorCode.PROTOCOL_ERROR,
      /interrupted/,
    ],
  ];
  for (const [name, chunks, code, message] of cases) {
    it(`ends the connection on ${name}`, () => {
      const { r, events } = reader({ expectPreface: true });
      for (const c of chunks) r.push(c);
      const errors = events.filter((e) => e[0] === "error");
      expect(errors).toHaveLength(1);
      expect(errors[0][1]).toBe(code);
      expect(errors[0][2]).toMatch(message);
      r.push(settings);
      expect(events.at(-1)![0]).toBe("error");
    });
  }

  it("answers a CONTINUATION flood and an oversized header block with ENHANCE_YOUR_CALM", () => {
    const flood = reader({ maxContinuationFrames: 4 });
    flood.r.push(settings);
    flood.r.push(frame(FrameType.HEADERS, 0, 1, Buffer.from("x")));
    for (let i = 0; i < 10; i++) flood.r.push(frame(FrameType.CONTINUATION, 0, 1, Buffer.from("y")));
    expect(flood.events.filter((e) => e[0] === "error")).toEqual([["error", ErrorCode.ENHANCE_YOUR_CALM, expect.stringMatching(/CONTINUATION/)]]);

    const big = reader({ maxHeaderBlockBytes: 100 });
    big.r.push(settings);
    big.r.push(headersFrames(1, Buffer.alloc(300), false, 64));
    expect(big.events.filter((e) => e[0] === "error")).toEqual([["error", ErrorCode.ENHANCE_YOUR_CALM, expect.stringMatching(/larger than 100/)]]);
  });

  it("resets only the stream for a PRIORITY of the wrong size", () => {
    const { r, events } = reader();
    r.push(settings);
    r.push(frame(FrameType.PRIORITY, 0, 1, Buffer.alloc(4)));
    expect(events[1]).toEqual(["streamError", 1, ErrorCode.FRAME_SIZE_ERROR]);
  });
});
