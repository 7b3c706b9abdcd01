import { Http2ErrorCode } from "@grpckit/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ClientRecorder,
  ServerRecorder,
  connect,
  delay,
  pattern,
  requestHeaders,
  responseHeaders,
  startServer,
  within,
  type TestClient,
  type TestServer,
} from "./harness.js";

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

describe("request and response", () => {
  it("carries request headers, response headers and trailers, with data in between", async () => {
    const rec = new ClientRecorder();
    const stream = client.transport.openStream({ ...requestHeaders, "x-request-id": "r-1" }, rec);
    stream.write(Buffer.from("ping"));
    stream.end();

    const s = await server.streams.next();
    expect(s.headers[":path"]).toBe("/grpckit.test.Echo/Call");
    expect(s.headers[":method"]).toBe("POST");
    expect(s.headers["x-request-id"]).toBe("r-1");
    const srec = new ServerRecorder();
    s.setListener(srec);
    await within(srec.ended, 5000, "the request's END_STREAM");
    expect(srec.body.toString()).toBe("ping");
    expect(srec.events).toEqual(["data", "end"]);

    s.sendHeaders({ ...responseHeaders, "x-header-md": "h" }, false);
    s.write(Buffer.from("pong"));
    s.sendTrailers({ "grpc-status": "0", "x-trailer-md": "t" });

    const closed = await within(rec.closed, 5000, "the client stream to close");
    expect(closed).toEqual({ rstCode: undefined, error: undefined });
    expect(rec.events).toEqual(["headers", "data", "trailers", "close"]);
    expect(rec.headers?.[":status"]).toBe(200);
    expect(rec.headers?.["x-header-md"]).toBe("h");
    expect(rec.body.toString()).toBe("pong");
    expect(rec.trailers?.["grpc-status"]).toBe("0");
    expect(rec.trailers?.["x-trailer-md"]).toBe("t");
    expect((await within(srec.closed, 5000, "the server stream to close")).rstCode).toBeUndefined();
  });

  it("reports a trailers-only response as headers with endStream and no trailers", async () => {
    const rec = new ClientRecorder();
    const stream = client.transport.openStream(requestHeaders, rec);
    stream.end();
    const s = await server.streams.next();
    s.setListener(new ServerRecorder());
    s.sendHeaders({ ...responseHeaders, "grpc-status": "12", "grpc-message": "unknown method" }, true);

    expect(await within(rec.closed, 5000, "the client stream to close")).toEqual({ rstCode: undefined, error: undefined });
    expect(rec.events).toEqual(["headers+end", "close"]);
    expect(rec.headers?.["grpc-status"]).toBe("12");
    expect(rec.trailers).toBeUndefined();
  });

  it("sends trailers given before any response headers as a trailers-only response", async () => {
    const rec = new ClientRecorder();
    client.transport.openStream(requestHeaders, rec).end();
    const s = await server.streams.next();
    s.setListener(new ServerRecorder());
    s.sendTrailers({ "content-type": "application/grpc", "grpc-status": "13" });

    await within(rec.closed, 5000, "the client stream to close");
    expect(rec.events).toEqual(["headers+end", "close"]);
    expect(rec.headers?.[":status"]).toBe(200);
    expect(rec.headers?.["grpc-status"]).toBe("13");
  });

  it("moves a 10 MiB payload each way intact, each in a single write", async () => {
    const request = pattern(10 << 20, 7);
    const response = pattern(10 << 20, 11);
    const rec = new ClientRecorder();
    const stream = client.transport.openStream(requestHeaders, rec);
    stream.write(request);
    stream.end();

    const s = await server.streams.next();
    const srec = new ServerRecorder();
    s.setListener(srec);
    await within(srec.ended, 10_000, "10 MiB to reach the server");
    expect(srec.body.equals(request)).toBe(true);

    s.sendHeaders(responseHeaders, false);
    s.write(response);
    s.sendTrailers({ "grpc-status": "0" });
    expect(await within(rec.closed, 10_000, "10 MiB to reach the client")).toEqual({ rstCode: undefined, error: undefined });
    expect(rec.body.equals(response)).toBe(true);
    expect(rec.events).toEqual(["headers", "data", "trailers", "close"]);
  });

  it("delivers data that arrived before the server listener was set, then the end", async () => {
    const stream = client.transport.openStream(requestHeaders, new ClientRecorder());
    stream.write(Buffer.from("early "));
    stream.write(Buffer.from("bytes"));
    stream.end();
    const s = await server.streams.next();
    await delay(50);
    const srec = new ServerRecorder();
    s.setListener(srec);
    await within(srec.ended, 5000, "the buffered request");
    expect(srec.body.toString()).toBe("early bytes");
  });

  it("runs many concurrent streams on one connection without mixing their bytes", async () => {
    const count = 20;
    const recs = Array.from({ length: count }, () => new ClientRecorder());
    for (let i = 0; i < count; i++) {
      const stream = client.transport.openStream({ ...requestHeaders, "x-index": String(i) }, recs[i]!);
      stream.write(pattern(100_000, i + 1));
      stream.end();
    }
    for (let i = 0; i < count; i++) {
      const s = await server.streams.next();
      const srec = new ServerRecorder();
      s.setListener(srec);
      void srec.ended.then(() => {
        s.sendHeaders(responseHeaders, false);
        s.write(srec.body);
        s.sendTrailers({ "grpc-status": "0", "x-index": String(s.headers["x-index"]) });
      });
    }
    for (let i = 0; i < count; i++) {
      await within(recs[i]!.closed, 10_000, `stream ${i} to close`);
      expect(recs[i]!.trailers?.["x-index"]).toBe(String(i));
      expect(recs[i]!.body.equals(pattern(100_000, i + 1))).toBe(true);
    }
  });
});

describe("resets", () => {
  it("a client reset reaches the server as onClose with CANCEL", async () => {
    const rec = new ClientRecorder();
    const stream = client.transport.openStream(requestHeaders, rec);
    stream.write(Buffer.from("x"));
    const s = await server.streams.next();
    const srec = new ServerRecorder();
    s.setListener(srec);
    stream.reset();

    const closed = await within(srec.closed, 5000, "the server stream to close");
    expect(closed.rstCode).toBe(Http2ErrorCode.CANCEL);
    expect(closed.error).toBeUndefined();
    expect((await within(rec.closed, 5000, "the client stream to close")).rstCode).toBe(Http2ErrorCode.CANCEL);
    expect(srec.closeCount).toBe(1);
    expect(rec.closeCount).toBe(1);
  });

  it("a server reset reaches the client as onClose with the server's code", async () => {
    const rec = new ClientRecorder();
    client.transport.openStream(requestHeaders, rec);
    const s = await server.streams.next();
    s.setListener(new ServerRecorder());
    s.sendHeaders(responseHeaders, false);
    await within(rec.headersSeen, 5000, "response headers");
    s.reset(Http2ErrorCode.INTERNAL_ERROR);

    const closed = await within(rec.closed, 5000, "the client stream to close");
    expect(closed).toEqual({ rstCode: Http2ErrorCode.INTERNAL_ERROR, error: undefined });
    expect(rec.events).toEqual(["headers", "close"]);
  });

  it("a server reset without a code is CANCEL", async () => {
    const rec = new ClientRecorder();
    client.transport.openStream(requestHeaders, rec);
    const s = await server.streams.next();
    s.setListener(new ServerRecorder());
    s.reset();
    expect((await within(rec.closed, 5000, "the client stream to close")).rstCode).toBe(Http2ErrorCode.CANCEL);
  });

  it("a reset before the server set its listener is delivered when it does", async () => {
    const stream = client.transport.openStream(requestHeaders, new ClientRecorder());
    stream.write(Buffer.from("x"));
    const s = await server.streams.next();
    stream.reset();
    await delay(100);
    const srec = new ServerRecorder();
    s.setListener(srec);
    expect((await within(srec.closed, 5000, "the buffered close")).rstCode).toBe(Http2ErrorCode.CANCEL);
  });

  it("writes after a reset are dropped without an error", async () => {
    const rec = new ClientRecorder();
    const stream = client.transport.openStream(requestHeaders, rec);
    const s = await server.streams.next();
    const srec = new ServerRecorder();
    s.setListener(srec);
    stream.reset();
    await within(srec.closed, 5000, "the server stream to close");
    await within(rec.closed, 5000, "the client stream to close");
    expect(stream.write(Buffer.from("late"))).toBe(true);
    expect(s.write(Buffer.from("late"))).toBe(true);
    s.sendHeaders(responseHeaders, false);
    s.sendTrailers({ "grpc-status": "0" });
    stream.end();
    await delay(20);
    expect(rec.closeCount).toBe(1);
    expect(srec.closeCount).toBe(1);
  });
});
