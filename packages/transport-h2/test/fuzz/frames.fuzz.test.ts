/**
 * Random frames, DATA cuts and header lists against one grpckit server on transport-h2,
 * over real loopback sockets. Whatever arrives, the server answers with GOAWAY, a clean
 * close, RST_STREAM or a normal answer, never crashes, and keeps serving calls.
 */
import fc from "fast-check";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, createClient, createServer, type Channel, type Server } from "@grpckit/core";
import { h2Transport } from "../../src/index.js";
import { ErrorCode, Flag, FrameType, frame, headersFrames } from "../../src/frame.js";
import { EchoResponseSchema, EchoService } from "../../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../../core/test/support/echo-service.js";
import { echoRequestBytes, grpcFrame } from "../../../transport-http2/test/abuse/grpc-frame.js";
import { grpcRequestFields, headerBlock } from "../../../transport-http2/test/abuse/raw-h2-connection.js";
import { ProbeConnection } from "../abuse/probe-connection.js";

const echoPath = "/grpckit.test.v1.EchoService/Echo";
/** Runs of each property; together they take a few seconds on two cores. */
const junkRuns = 3000;
const cutRuns = 1000;
const headerRuns = 2000;
/** A normal grpckit call is made every this many runs. */
const checkEvery = 100;
const maxErrorCode = 0xd;
const errorCodeNames = Object.fromEntries(Object.entries(ErrorCode).map(([name, code]) => [code, name])) as Record<number, string>;

let server: Server;
let port: number;
let channel: Channel;
const probes: ProbeConnection[] = [];

beforeAll(async () => {
  server = createServer({ transport: h2Transport() });
  server.addService(EchoService, echoImpl());
  port = (await server.listen("127.0.0.1:0")).port!;
  channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
});

afterAll(() => {
  for (const p of probes) p.close();
  channel.close();
  server.forceShutdown();
});

async function probe(): Promise<ProbeConnection> {
  const c = await ProbeConnection.open(port);
  probes.push(c);
  return c;
}

/** A normal grpckit call on its own connection succeeds. */
async function expectServing(): Promise<void> {
  const reply = await createClient(EchoService, channel).echo({ message: "still here" }, { timeoutMs: 5000 });
  expect(reply.message).toBe("still here");
}

/** Sends a unary Echo of `message` with the given extra request headers; returns its stream id. */
function sendEcho(c: ProbeConnection, message: string, extra: readonly (readonly [string, string])[] = []): number {
  const id = c.newStreamId();
  c.write(headersFrames(id, headerBlock(grpcRequestFields(echoPath, extra)), false, 16_384));
  c.write(frame(FrameType.DATA, Flag.END_STREAM, id, grpcFrame(echoRequestBytes({ message }))));
  return id;
}

/** The message of the one EchoResponse in a stream's DATA. */
function echoedMessage(data: readonly Buffer[]): string {
  const body = Buffer.concat(data);
  expect(body.byteLength).toBeGreaterThanOrEqual(5);
  expect(body[0]).toBe(0);
  expect(body.readUInt32BE(1)).toBe(body.byteLength - 5);
  return fromBinary(EchoResponseSchema, body.subarray(5)).message;
}

/** A frame of any type (known or not), flags, stream id and payload, as a peer could send. */
const anyFrame = fc
  .record({
    type: fc.integer({ min: 0, max: 0xf }),
    flags: fc.oneof(fc.constantFrom(0, Flag.END_STREAM, Flag.END_HEADERS, Flag.END_HEADERS | Flag.END_STREAM, Flag.PADDED, Flag.PRIORITY), fc.integer({ min: 0, max: 0xff })),
    streamId: fc.oneof(fc.constantFrom(0, 1, 2, 3, 5, 0x7fffffff), fc.nat()),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ type, flags, streamId, payload }) => frame(type, flags, streamId, payload));

/** Bytes after the preface and SETTINGS: plain noise, or a run of frames, some of them well-formed. */
const junk: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }),
  fc.array(anyFrame, { minLength: 1, maxLength: 8 }).map((frames) => Buffer.concat(frames)),
);

describe(`arbitrary bytes after the preface and SETTINGS (${junkRuns} runs)`, () => {
  it(`end in a GOAWAY with an RFC 9113 error code or a clean close, and the server keeps answering calls (checked every ${checkEvery} runs)`, async ({ annotate }) => {
    let runs = 0;
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(junk, async (bytes) => {
        const c = await probe();
        c.write(bytes);
        c.socket.end();
        await c.waitFor(() => c.destroyed, 5000, "the connection to close");
        c.close();
        expect(c.goaways.length).toBeLessThanOrEqual(1);
        for (const g of c.goaways) expect(g.code).toBeLessThanOrEqual(maxErrorCode);
        if (c.goaways.length === 0) expect(c.socketError).toBeUndefined();
        const outcome = c.goaways.length === 0 ? "clean close" : `GOAWAY ${errorCodeNames[c.goaways[0].code]}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        if (++runs % checkEvery === 0) await expectServing();
      }),
      { numRuns: junkRuns },
    );
    await expectServing();
    await annotate(`${runs} runs: ${[...outcomes].map(([outcome, n]) => `${outcome} ${n}`).join(", ")}`);
  });
});

/** DATA frame sizes and paddings: each cut of the message, and an optional pad length per frame. */
const cutsAndPads = fc.record({
  message: fc.string({ maxLength: 300 }),
  cuts: fc.array(fc.nat({ max: 400 }), { maxLength: 12 }),
  pads: fc.array(fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }), { maxLength: 13 }),
});

/** `body` as DATA frames cut at `cuts`, frame i padded with `pads[i]` bytes (PADDED flag) when given. */
function dataFrames(streamId: number, body: Buffer, cuts: readonly number[], pads: readonly (number | undefined)[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (body.byteLength + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    if (p <= start) continue;
    pieces.push(body.subarray(start, p));
    start = p;
  }
  pieces.push(body.subarray(start));
  return pieces.map((piece, i) => {
    const endStream = i === pieces.length - 1 ? Flag.END_STREAM : 0;
    const pad = pads[i];
    if (pad === undefined) return frame(FrameType.DATA, endStream, streamId, piece);
    const payload = Buffer.alloc(1 + piece.byteLength + pad);
    payload[0] = pad;
    piece.copy(payload, 1);
    return frame(FrameType.DATA, endStream | Flag.PADDED, streamId, payload);
  });
}

describe(`a request whose DATA is cut into arbitrary frames with arbitrary padding (${cutRuns} runs)`, () => {
  it("is answered with the right echo, all on one connection", async ({ annotate }) => {
    const c = await probe();
    await fc.assert(
      fc.asyncProperty(cutsAndPads, async ({ message, cuts, pads }) => {
        const id = c.newStreamId();
        c.write(headersFrames(id, headerBlock(grpcRequestFields(echoPath)), false, 16_384));
        c.write(Buffer.concat(dataFrames(id, grpcFrame(echoRequestBytes({ message })), cuts, pads)));
        await c.waitFor(() => c.finished(id), 5000, `the answer on stream ${id}`);
        const s = c.stream(id);
        expect(s.rstCode).toBeUndefined();
        expect(s.headerBlocks.at(-1)?.["grpc-status"]).toBe("0");
        expect(echoedMessage(s.data)).toBe(message);
        c.streams.delete(id);
      }),
      { numRuns: cutRuns },
    );
    expect(c.goaways).toEqual([]);
    expect(c.destroyed).toBe(false);
    await annotate(`${cutRuns} calls on stream ids 1 to ${2 * cutRuns - 1}`);
  });
});

const validNameChars = [..."abcdefghijklmnopqrstuvwxyz0123456789-_."];
/** Characters RFC 9113 section 8.2.1 forbids in a field name (uppercase, controls, space, colon, DEL, non-ASCII). */
const invalidNameChars = [..."AZ :\t\x00\x7f\u00e9\u00ff"];
const validValueChars = [..."abc XYZ019-_=/:;,\t\"\u00e9\u00ff"];
/** Bytes RFC 9113 section 8.2.1 forbids anywhere in a field value. */
const invalidValueChars = ["\x00", "\r", "\n"];

interface ExtraField {
  field: readonly [string, string];
  valid: boolean;
}

const extraField: fc.Arbitrary<ExtraField> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        name: fc.array(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...validNameChars) }, { weight: 1, arbitrary: fc.constantFrom(...invalidNameChars) }), { maxLength: 20 }),
        value: fc.array(fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...validValueChars) }, { weight: 1, arbitrary: fc.constantFrom(...invalidValueChars) }), { maxLength: 40 }),
      })
      .map(({ name, value }) => {
        const n = `x-${name.join("")}`;
        const v = value.join("");
        const nameOk = name.every((ch) => validNameChars.includes(ch));
        const valueOk = value.every((ch) => !invalidValueChars.includes(ch)) && !/^[ \t]|[ \t]$/.test(v);
        return { field: [n, v] as const, valid: nameOk && valueOk };
      }),
  },
  // A pseudo-header after the regular ones, or a connection-specific header: malformed.
  { weight: 1, arbitrary: fc.constantFrom<ExtraField>({ field: [":path", echoPath], valid: false }, { field: [":foo", "x"], valid: false }, { field: ["connection", "close"], valid: false }, { field: ["te", "gzip"], valid: false }) },
);

describe(`arbitrary header lists (${headerRuns} runs)`, () => {
  it("get a normal answer when every field is valid and RST_STREAM PROTOCOL_ERROR otherwise; the connection then answers its next request", async ({ annotate }) => {
    let c = await probe();
    let resets = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(extraField, { maxLength: 12 }), async (extras) => {
        if (c.destroyed || c.goaways.length > 0) c = await probe();
        const id = sendEcho(c, "headers", extras.map((e) => e.field));
        await c.waitFor(() => c.finished(id) || c.destroyed, 5000, `the answer on stream ${id}`);
        const s = c.stream(id);
        const valid = extras.every((e) => e.valid);
        expect(c.goaways).toEqual([]);
        if (valid) {
          expect(s.rstCode).toBeUndefined();
          const status = s.headerBlocks.at(-1)?.["grpc-status"];
          if (extras.some((e) => e.field[0].endsWith("-bin"))) expect(status).toMatch(/^\d+$/);
          else {
            expect(status).toBe("0");
            expect(echoedMessage(s.data)).toBe("headers");
          }
        } else {
          expect(s.rstCode).toBe(ErrorCode.PROTOCOL_ERROR);
          expect(s.headerBlocks).toEqual([]);
          resets++;
          const next = sendEcho(c, "after a reset");
          await c.waitFor(() => c.finished(next), 5000, `the answer on stream ${next}`);
          expect(echoedMessage(c.stream(next).data)).toBe("after a reset");
        }
      }),
      { numRuns: headerRuns },
    );
    expect(resets).toBeGreaterThan(0);
    await expectServing();
    await annotate(`${headerRuns} header lists, ${resets} of them malformed`);
  });
});
