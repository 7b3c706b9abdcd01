import { createHash } from "node:crypto";
import { http2Transport } from "@grpckit/transport-http2";
import { afterEach, describe, expect, it } from "vitest";
import { mergeSettings, toNodeSettings } from "../src/settings.js";
import { ClientRecorder, Inbox, ServerRecorder, insecure, requestHeaders, responseHeaders, within } from "./harness.js";
import type { ClientTransport, ServerTransportStream, TransportListener } from "@grpckit/core";

describe("mergeSettings", () => {
  it("starts from a 1 MiB stream window and a 16 MiB connection window", () => {
    expect(mergeSettings()).toEqual({ initialWindowSize: 1 << 20, connectionWindowSize: 16 << 20 });
  });

  it("lets later layers win field by field, ignoring unset fields", () => {
    const builder = { initialWindowSize: 65535, maxConcurrentStreams: 10 };
    const call = { maxConcurrentStreams: 1, maxFrameSize: undefined };
    expect(mergeSettings(builder, call)).toEqual({
      initialWindowSize: 65535,
      connectionWindowSize: 16 << 20,
      maxConcurrentStreams: 1,
    });
  });

  it("leaves the connection window out of the SETTINGS frame and disables push", () => {
    expect(toNodeSettings({ initialWindowSize: 1, connectionWindowSize: 2, maxHeaderListSize: 3, maxFrameSize: 16384 })).toEqual({
      enablePush: false,
      initialWindowSize: 1,
      maxHeaderListSize: 3,
      maxFrameSize: 16384,
    });
  });
});

describe("settings on the wire", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  async function pair(builderSettings: object, listenSettings: object): Promise<{ client: ClientTransport; streams: Inbox<ServerTransportStream> }> {
    const t = http2Transport({ settings: builderSettings });
    const streams = new Inbox<ServerTransportStream>();
    const listener: TransportListener = await t.listen("127.0.0.1:0", {
      credentials: insecure,
      settings: listenSettings,
      onStream: (s) => streams.push(s),
    });
    cleanups.push(() => listener.close());
    const client = await t.connect(listener.address, {
      authority: "localhost",
      credentials: insecure,
      onGoaway() {},
      onClose() {},
    });
    cleanups.push(() => client.destroy());
    return { client, streams };
  }

  it("maxConcurrentStreams given to listen() wins over the transport's and holds back extra streams", async () => {
    const { client, streams } = await pair({ maxConcurrentStreams: 10 }, { maxConcurrentStreams: 1 });
    const first = new ClientRecorder();
    const second = new ClientRecorder();
    client.openStream(requestHeaders, first).end();
    client.openStream(requestHeaders, second).end();

    const s1 = await streams.next();
    s1.setListener(new ServerRecorder());
    await expect(streams.next(200, "a second concurrent stream")).rejects.toThrow(/timed out/);
    s1.sendHeaders(responseHeaders, false);
    s1.sendTrailers({ "grpc-status": "0" });
    await within(first.closed, 5000, "the first stream");

    const s2 = await streams.next(5000, "the second stream once the first finished");
    s2.setListener(new ServerRecorder());
    s2.sendHeaders(responseHeaders, true);
    await within(second.closed, 5000, "the second stream");
  });

  it("a 64 KiB initialWindowSize lets a paused reader take in far less than the 1 MiB default", async () => {
    const { client, streams } = await pair({}, { initialWindowSize: 65535 });
    const rec = new ClientRecorder();
    const stream = client.openStream(requestHeaders, rec);
    const s = await streams.next();
    const srec = new ServerRecorder();
    s.setListener(srec);
    s.pause();
    const hash = createHash("sha256");
    let written = 0;
    for (let i = 0; i < 64; i++) {
      const chunk = Buffer.alloc(16 << 10, i);
      hash.update(chunk);
      written += chunk.length;
      if (!stream.write(chunk)) {
        const drained = await rec.drains.next(300).then(
          () => true,
          () => false,
        );
        if (!drained) break;
      }
    }
    expect(written).toBeLessThan(256 << 10);
    s.resume();
    stream.end();
    await within(srec.ended, 5000, "the request");
    expect(createHash("sha256").update(srec.body).digest("hex")).toBe(hash.digest("hex"));
  });
});
