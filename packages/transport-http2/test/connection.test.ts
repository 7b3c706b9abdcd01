import {
  Http2ErrorCode,
  insecureCredentials,
  type ServerCredentials,
  type ServerTransportStream,
  type TransportListener,
} from "@grpckit/core";
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ClientRecorder,
  Inbox,
  ServerRecorder,
  connect,
  delay,
  requestHeaders,
  responseHeaders,
  startServer,
  transport,
  within,
  type TestClient,
} from "./harness.js";

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function server(address?: string, credentials?: ServerCredentials) {
  const s = await startServer(address, credentials !== undefined ? { credentials } : {});
  cleanups.push(() => s.listener.close());
  return s;
}

async function client(address: string): Promise<TestClient> {
  const c = await connect(address);
  cleanups.push(() => c.transport.destroy());
  return c;
}

/** One full request/response, checking the connection works. */
async function roundTrip(c: TestClient, streams: Inbox<ServerTransportStream>): Promise<ServerTransportStream> {
  const rec = new ClientRecorder();
  const stream = c.transport.openStream(requestHeaders, rec);
  stream.write(Buffer.from("hello"));
  stream.end();
  const s = await streams.next();
  const srec = new ServerRecorder();
  s.setListener(srec);
  await within(srec.ended, 5000, "the request");
  s.sendHeaders(responseHeaders, false);
  s.write(srec.body);
  s.sendTrailers({ "grpc-status": "0" });
  await within(rec.closed, 5000, "the response");
  expect(rec.body.toString()).toBe("hello");
  return s;
}

/** An ephemeral port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("addresses", () => {
  it("listens on 127.0.0.1:0 and reports the bound port", async () => {
    const s = await server("127.0.0.1:0");
    expect(s.listener.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(s.listener.address).not.toBe("127.0.0.1:0");
    const c = await client(s.listener.address);
    expect(c.transport.peer.address).toBe(s.listener.address);
    expect(c.transport.peer.authInfo?.type).toBe("insecure");
    const st = await roundTrip(c, s.streams);
    expect(st.peer.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(st.peer.authInfo?.securityLevel).toBe("none");
  });

  it("listens and connects over IPv6 ::1", async () => {
    const s = await server("[::1]:0");
    expect(s.listener.address).toMatch(/^\[::1\]:\d+$/);
    const c = await client(s.listener.address);
    expect(c.transport.peer.address).toBe(s.listener.address);
    const st = await roundTrip(c, s.streams);
    expect(st.peer.address).toMatch(/^\[::1\]:\d+$/);
  });

  it("listens and connects on a unix socket path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grpckit-h2-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const address = `unix:${join(dir, "s.sock")}`;
    const s = await server(address);
    expect(s.listener.address).toBe(address);
    const c = await client(address);
    expect(c.transport.peer.address).toBe(address);
    await roundTrip(c, s.streams);
  });

  it("listens and connects on an abstract unix socket (Linux)", async () => {
    const address = `unix-abstract:grpckit-h2-test-${process.pid}-${Date.now()}`;
    const s = await server(address);
    expect(s.listener.address).toBe(address);
    const c = await client(address);
    await roundTrip(c, s.streams);
  });

  it("listening on a port in use rejects with a message naming the address", async () => {
    const s = await server();
    await expect(transport.listen(s.listener.address, { credentials: insecureCredentials(), onStream() {} })).rejects.toThrow(
      `cannot listen on ${s.listener.address}: listen EADDRINUSE`,
    );
  });

  it("rejects an address without a port", async () => {
    await expect(transport.listen("localhost", { credentials: insecureCredentials(), onStream() {} })).rejects.toThrow(/has no port/);
  });
});

describe("connecting", () => {
  it("connecting to a closed port rejects with node's message, which names the address once", async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const error = await connect(address).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toBe(`connect ECONNREFUSED ${address}`);
  });

  it("a server that never speaks HTTP/2 makes connect time out with a message saying so", async () => {
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const address = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const started = Date.now();
    await expect(connect(address, { connectTimeoutMs: 200 })).rejects.toThrow(/^timed out after 200 ms$/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("a handshake that negotiates a protocol other than h2 fails the connection", async () => {
    const s = await server();
    const h1 = insecureCredentials();
    const credentials = {
      secure: false,
      clientHandshake: async (socket: import("node:stream").Duplex, authority: string) => ({
        ...(await h1.clientHandshake(socket, authority)),
        alpnProtocol: "http/1.1",
      }),
    };
    await expect(connect(s.listener.address, { credentials })).rejects.toThrow(/"http\/1\.1" instead of "h2"/);
  });

  it("a client handshake that fails rejects connect with its cause", async () => {
    const s = await server();
    const credentials = { secure: true, clientHandshake: () => Promise.reject(new Error("certificate has expired")) };
    await expect(connect(s.listener.address, { credentials })).rejects.toThrow(/^certificate has expired$/);
  });

  it("answers a ping with a round-trip time in milliseconds", async () => {
    const s = await server();
    const c = await client(s.listener.address);
    const rtt = await within(c.transport.ping(), 5000, "the ping");
    expect(typeof rtt).toBe("number");
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(1000);
  });

  it("a client close lets the open stream finish, then closes the connection cleanly", async () => {
    const s = await server();
    const c = await client(s.listener.address);
    const rec = new ClientRecorder();
    c.transport.openStream(requestHeaders, rec).end();
    const st = await s.streams.next();
    st.setListener(new ServerRecorder());
    c.transport.close();
    expect(() => c.transport.openStream(requestHeaders, new ClientRecorder())).toThrow(/is closed/);
    await delay(50);
    st.sendHeaders(responseHeaders, false);
    st.sendTrailers({ "grpc-status": "0" });
    expect(await within(rec.closed, 5000, "the stream")).toEqual({ rstCode: undefined, error: undefined });
    expect(await within(c.closed, 5000, "the connection to close")).toBeUndefined();
    expect(c.closeCount()).toBe(1);
  });

  it("a client destroy ends open streams with CANCEL and an error on both sides", async () => {
    const s = await server();
    const c = await client(s.listener.address);
    const rec = new ClientRecorder();
    c.transport.openStream(requestHeaders, rec);
    const st = await s.streams.next();
    const srec = new ServerRecorder();
    st.setListener(srec);
    c.transport.destroy();
    const closed = await within(rec.closed, 5000, "the client stream");
    expect(closed.rstCode).toBe(Http2ErrorCode.CANCEL);
    expect(closed.error?.message).toMatch(/closed by the client/);
    const sclosed = await within(srec.closed, 5000, "the server stream");
    expect(sclosed.rstCode).toBe(Http2ErrorCode.CANCEL);
    expect(sclosed.error?.message).toMatch(/closed/);
    await within(c.closed, 5000, "the connection to close");
    expect(c.closeCount()).toBe(1);
  });
});

describe("closing from inside callbacks", () => {
  it("destroying the transport in a stream's onClose, while the server resets the others, returns", async () => {
    // A bare node:http2 server whose session.destroy() resets every stream with NO_ERROR.
    const raw = http2.createServer();
    const sessions: http2.ServerHttp2Session[] = [];
    raw.on("session", (s) => {
      sessions.push(s);
      s.on("error", () => {});
    });
    const serverStreams: http2.ServerHttp2Stream[] = [];
    raw.on("stream", (st) => {
      st.on("error", () => {});
      serverStreams.push(st);
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => {
      for (const s of sessions) s.destroy();
      raw.close();
    });
    const c = await client(`127.0.0.1:${(raw.address() as net.AddressInfo).port}`);

    const recs = [new ClientRecorder(), new ClientRecorder(), new ClientRecorder()];
    for (const rec of recs) c.transport.openStream(requestHeaders, rec).write(Buffer.from("x"));
    for (let i = 0; i < 100 && serverStreams.length < recs.length; i++) await delay(10);
    expect(serverStreams.length).toBe(recs.length);

    const first = recs[0]!;
    const originalOnClose = first.onClose.bind(first);
    first.onClose = (rstCode, error) => {
      originalOnClose(rstCode, error);
      c.transport.destroy();
    };
    for (const s of sessions) s.destroy();

    for (const rec of recs) await within(rec.closed, 5000, "every stream to close");
    await within(c.closed, 5000, "the client transport to close");
    expect(recs.map((r) => r.closeCount)).toEqual([1, 1, 1]);
  });
});

describe("server shutdown", () => {
  it("close() ends every open client stream with an rstCode and an error, and closes the client transport", async () => {
    const s = await server();
    const c = await client(s.listener.address);
    const recs = [new ClientRecorder(), new ClientRecorder(), new ClientRecorder()];
    const srecs: ServerRecorder[] = [];
    for (const rec of recs) c.transport.openStream(requestHeaders, rec).write(Buffer.from("x"));
    for (let i = 0; i < recs.length; i++) {
      const st = await s.streams.next();
      const srec = new ServerRecorder();
      st.setListener(srec);
      srecs.push(srec);
      if (i === 0) st.sendHeaders(responseHeaders, false);
    }
    await within(recs[0]!.headersSeen, 5000, "response headers");
    s.listener.close();

    for (const rec of recs) {
      const closed = await within(rec.closed, 5000, "a client stream to close");
      expect(closed.rstCode).toBeDefined();
      expect(closed.rstCode).not.toBe(Http2ErrorCode.NO_ERROR);
      expect(closed.error).toBeInstanceOf(Error);
      expect(rec.closeCount).toBe(1);
    }
    for (const srec of srecs) {
      const closed = await within(srec.closed, 5000, "a server stream to close");
      expect(closed.rstCode).toBe(Http2ErrorCode.CANCEL);
      expect(srec.closeCount).toBe(1);
    }
    await within(c.closed, 5000, "the client transport to close");
    expect(c.closeCount()).toBe(1);
  });

  it("drain() sends GOAWAY, lets the open stream finish, resolves after, and refuses new connections", async () => {
    const s = await server();
    const c = await client(s.listener.address);
    const rec = new ClientRecorder();
    const stream = c.transport.openStream(requestHeaders, rec);
    const st = await s.streams.next();
    const srec = new ServerRecorder();
    st.setListener(srec);

    let drained = false;
    const draining = s.listener.drain().then(() => {
      drained = true;
    });
    await within(
      (async () => {
        for (let i = 0; i < 100 && c.goaways.length === 0; i++) await delay(10);
      })(),
      5000,
      "GOAWAY",
    );
    expect(c.goaways).toEqual([Http2ErrorCode.NO_ERROR]);
    await expect(connect(s.listener.address, { connectTimeoutMs: 2000 })).rejects.toThrow(/ECONNREFUSED/);

    stream.write(Buffer.from("still open"));
    stream.end();
    await within(srec.ended, 5000, "the request on the draining connection");
    expect(drained).toBe(false);
    st.sendHeaders(responseHeaders, false);
    st.write(Buffer.from("done"));
    st.sendTrailers({ "grpc-status": "0" });

    expect(await within(rec.closed, 5000, "the stream")).toEqual({ rstCode: undefined, error: undefined });
    expect(rec.body.toString()).toBe("done");
    await within(draining, 5000, "drain() to resolve");
    expect(await within(c.closed, 5000, "the client transport to close")).toBeUndefined();
  });

  it("drain() with no connections resolves at once", async () => {
    const s = await server();
    await within(s.listener.drain(), 2000, "drain()");
  });

  it("close() during drain() finishes the drain", async () => {
    const s = await server();
    const c = await client(s.listener.address);
    const rec = new ClientRecorder();
    c.transport.openStream(requestHeaders, rec);
    (await s.streams.next()).setListener(new ServerRecorder());
    const draining = s.listener.drain();
    s.listener.close();
    await within(draining, 5000, "drain() to resolve");
    expect((await within(rec.closed, 5000, "the stream")).rstCode).toBeDefined();
  });
});

describe("a server survives bad connections", () => {
  async function sendRaw(listener: TransportListener, bytes: Buffer | string): Promise<void> {
    const colon = listener.address.lastIndexOf(":");
    const socket = net.connect(Number(listener.address.slice(colon + 1)), listener.address.slice(0, colon));
    socket.on("error", () => {});
    socket.on("data", () => {});
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(bytes);
    // The server drops the connection; wait for that (bounded).
    await within(new Promise<void>((resolve) => socket.once("close", () => resolve())), 5000, "the server to drop the connection");
  }

  it("garbage instead of the HTTP/2 preface closes that connection only", async () => {
    const s = await server();
    await sendRaw(s.listener, Buffer.from("this is not http/2 at all\r\n\r\n".repeat(10)));
    // transport-h2 takes a well-formed HTTP/1.1 request as a browser's (gRPC-Web) and
    // hands it on; a malformed one is dropped, as transport-http2 drops any HTTP/1.1.
    await sendRaw(s.listener, "GET / HTTP/1.1\r\nhost x\r\n\r\n");
    const c = await client(s.listener.address);
    await roundTrip(c, s.streams);
  });

  it("a valid preface followed by a malformed frame closes that connection only", async () => {
    const s = await server();
    const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    // A SETTINGS frame on stream 1 is a connection error.
    const badFrame = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 1]);
    await sendRaw(s.listener, Buffer.concat([Buffer.from(preface), badFrame]));
    const c = await client(s.listener.address);
    await roundTrip(c, s.streams);
  });

  it("a client that disconnects during the handshake does not disturb the server", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const insecure = insecureCredentials();
    let calls = 0;
    const credentials: ServerCredentials = {
      secure: false,
      serverHandshake: async (socket) => {
        if (calls++ === 0) await held;
        return insecure.serverHandshake(socket);
      },
    };
    const s = await server(undefined, credentials);
    const port = Number(s.listener.address.split(":")[1]);
    const early = net.connect(port, "127.0.0.1");
    early.on("error", () => {});
    await new Promise<void>((resolve) => early.once("connect", resolve));
    early.destroy();
    await delay(50);
    release();
    await delay(20);
    const c = await client(s.listener.address);
    await roundTrip(c, s.streams);
  });

  it("an onStream that throws resets that stream with INTERNAL_ERROR and the server keeps serving", async () => {
    let calls = 0;
    const listener = await transport.listen("127.0.0.1:0", {
      credentials: insecureCredentials(),
      onStream: (stream) => {
        if (calls++ === 0) throw new Error("handler bug");
        stream.setListener(new ServerRecorder());
        stream.sendHeaders({ ...responseHeaders, "grpc-status": "0" }, true);
      },
    });
    cleanups.push(() => listener.close());
    const c = await client(listener.address);
    const broken = new ClientRecorder();
    c.transport.openStream(requestHeaders, broken).end();
    expect((await within(broken.closed, 5000, "the broken stream")).rstCode).toBe(Http2ErrorCode.INTERNAL_ERROR);
    const fine = new ClientRecorder();
    c.transport.openStream(requestHeaders, fine).end();
    expect(await within(fine.closed, 5000, "the next stream")).toEqual({ rstCode: undefined, error: undefined });
    expect(fine.events).toEqual(["headers+end", "close"]);
  });

  it("a server handshake that throws or rejects closes that connection only", async () => {
    const insecure = insecureCredentials();
    let calls = 0;
    const credentials: ServerCredentials = {
      secure: false,
      serverHandshake: (socket) => {
        calls++;
        if (calls === 1) throw new Error("handshake exploded");
        if (calls === 2) return Promise.reject(new Error("bad client certificate"));
        return insecure.serverHandshake(socket);
      },
    };
    const s = await server(undefined, credentials);
    await expect(connect(s.listener.address, { connectTimeoutMs: 2000 })).rejects.toThrow(/HTTP\/2 SETTINGS|ECONNRESET|closed/);
    await expect(connect(s.listener.address, { connectTimeoutMs: 2000 })).rejects.toThrow(/HTTP\/2 SETTINGS|ECONNRESET|closed/);
    const c = await client(s.listener.address);
    await roundTrip(c, s.streams);
  });
});
