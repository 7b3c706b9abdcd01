/**
 * The CONNECT exchange against a node:net server playing the proxy: what the client
 * sends, a tunnel whose first bytes arrive with the proxy's answer, refusals quoted,
 * and proxies that answer too much, too little or not at all.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { insecureCredentials } from "../src/credentials/credentials.js";
import { dialTransport, type DialedSocket } from "../src/transport/dial-transport.js";
import { httpConnect, maxConnectResponseBytes } from "../src/transport/http-connect-proxy.js";
import type { ClientTransportOptions, Dialer } from "../src/transport/transport.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface FakeProxy {
  address: string;
  /** The request head (up to and with the blank line) of each connection, in order. */
  requests: string[];
  /** Each accepted socket, for the test to see it closed. */
  sockets: net.Socket[];
}

/**
 * A server on 127.0.0.1 that reads each connection's request head and then runs
 * `answer` with the socket; bytes after the head are echoed back when `echo` is set.
 */
async function fakeProxy(answer: (socket: net.Socket) => void, echo = false): Promise<FakeProxy> {
  const requests: string[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      requests.push(head.slice(0, end + 4));
      const rest = head.slice(end + 4);
      if (echo) {
        if (rest !== "") socket.write(rest);
        socket.on("data", (d: Buffer) => socket.write(d));
      }
      answer(socket);
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests, sockets };
}

function options(extra: Partial<ClientTransportOptions>): ClientTransportOptions {
  return { authority: "backend.test:443", credentials: insecureCredentials(), onClose: () => {}, onGoaway: () => {}, ...extra };
}

/** Dials `address` through `proxy`; resolves with the dialed socket once the tunnel is open. */
function dialThrough(proxy: string, address: string, extra: Partial<ClientTransportOptions> = {}): Promise<DialedSocket<net.Socket, DialedSocket<net.Socket, unknown>>> {
  return dialTransport(address, options({ proxy: { address: proxy }, ...extra }), (target) => net.connect(target), (dialed) => {
    cleanups.push(() => dialed.raw.destroy());
    dialed.ready(dialed);
  }) as Promise<DialedSocket<net.Socket, DialedSocket<net.Socket, unknown>>>;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail("resolved"),
    (e: Error) => e,
  );
}

/** Reads from `socket` until `count` bytes arrived. */
function readBytes(socket: NodeJS.ReadableStream, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const onData = (d: Buffer) => {
      got += d.toString("latin1");
      if (got.length < count) return;
      socket.off("data", onData);
      resolve(got);
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

/** Resolves once `check` is true, looking at most 500 times a few ms apart. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

describe("the HTTP CONNECT exchange", () => {
  it("asks the proxy for the target by name, with basic credentials, and nothing else", async () => {
    const proxy = await fakeProxy((s) => s.write("HTTP/1.1 200 Connection established\r\n\r\n"));
    const socket = net.connect(Number(proxy.address.split(":")[1]), "127.0.0.1");
    cleanups.push(() => socket.destroy());
    await new Promise((r) => socket.once("connect", r));
    await httpConnect(socket, { address: proxy.address, credentials: "proxy user:pä:ss" }, "backend.test:443");
    expect(proxy.requests).toEqual([
      "CONNECT backend.test:443 HTTP/1.1\r\n" +
        "Host: backend.test:443\r\n" +
        `Proxy-Authorization: Basic ${Buffer.from("proxy user:pä:ss", "utf8").toString("base64")}\r\n` +
        "\r\n",
    ]);
  });

  it("hands the backend's first bytes, sent with the proxy's answer, to whoever reads the tunnel next", async () => {
    // The proxy's 200 and the backend's greeting arrive in one segment, as tinyproxy sends them.
    const proxy = await fakeProxy((s) => s.write("HTTP/1.0 200 Connection established\r\nProxy-agent: test\r\n\r\nbackend speaks first"), true);
    const dialed = await dialThrough(proxy.address, "backend.test:443");
    expect(await readBytes(dialed.socket, "backend speaks first".length)).toBe("backend speaks first");
    // And the tunnel carries both ways from then on.
    dialed.socket.write("ping through the tunnel");
    expect(await readBytes(dialed.socket, "ping through the tunnel".length)).toBe("ping through the tunnel");
    expect(proxy.requests).toEqual(["CONNECT backend.test:443 HTTP/1.1\r\nHost: backend.test:443\r\n\r\n"]);
    // The peer is the proxy: the socket's far end.
    expect(dialed.peer.address).toBe(proxy.address);
  });

  it("connects to the proxy through the channel's dialer, which sees the proxy's address only", async () => {
    const proxy = await fakeProxy((s) => s.write("HTTP/1.1 200 OK\r\n\r\n"));
    const dialed: string[] = [];
    const dialer: Dialer = async (address) => {
      dialed.push(address);
      const socket = net.connect(Number(address.split(":")[1]), "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      return socket;
    };
    await dialThrough(proxy.address, "[2001:db8::1]:50051", { dialer });
    expect(dialed).toEqual([proxy.address]);
    expect(proxy.requests).toEqual(["CONNECT [2001:db8::1]:50051 HTTP/1.1\r\nHost: [2001:db8::1]:50051\r\n\r\n"]);
  });

  it("fails with the proxy's status line when it refuses, and closes the connection", async () => {
    const proxy = await fakeProxy((s) => s.end("HTTP/1.0 403 Access violation\r\nContent-Type: text/html\r\n\r\n<html>no</html>"));
    const error = await rejection(dialThrough(proxy.address, "backend.test:22"));
    expect(error.message).toBe(`the proxy ${proxy.address} refused CONNECT backend.test:22: HTTP/1.0 403 Access violation`);
    await waitFor(() => proxy.sockets[0]!.readableEnded || proxy.sockets[0]!.destroyed);
  });

  it("says a 407 wants credentials in the proxy URL, or that the ones given were not accepted (401 too)", async () => {
    const proxy = await fakeProxy((s) => s.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n'));
    const without = await rejection(dialThrough(proxy.address, "backend.test:443"));
    expect(without.message).toBe(
      `the proxy ${proxy.address} refused CONNECT backend.test:443: HTTP/1.1 407 Proxy Authentication Required` +
        " (the proxy wants credentials: put them in the proxy URL, http://user:password@host:port)",
    );
    const wrong = await rejection(
      dialTransport("backend.test:443", options({ proxy: { address: proxy.address, credentials: "user:wrong" } }), (t) => net.connect(t), () => {}),
    );
    expect(wrong.message).toContain("HTTP/1.1 407 Proxy Authentication Required (the proxy did not accept the credentials in the proxy URL)");
    const unauthorized = await fakeProxy((s) => s.end("HTTP/1.0 401 Unauthorized\r\n\r\n"));
    const refused = await rejection(
      dialTransport("backend.test:443", options({ proxy: { address: unauthorized.address, credentials: "user:wrong" } }), (t) => net.connect(t), () => {}),
    );
    expect(refused.message).toBe(
      `the proxy ${unauthorized.address} refused CONNECT backend.test:443: HTTP/1.0 401 Unauthorized (the proxy did not accept the credentials in the proxy URL)`,
    );
  });

  it(`fails when the header block does not end within ${maxConnectResponseBytes} bytes, reading no further`, async () => {
    // A proxy that sends headers for ever (here: up to 1 MiB, then it stops).
    let written = 0;
    const proxy = await fakeProxy((s) => {
      s.write("HTTP/1.1 200 OK\r\n");
      const line = `X-Filler: ${"a".repeat(1000)}\r\n`;
      const more = () => {
        while (written < 1024 * 1024 && !s.destroyed) {
          written += line.length;
          if (!s.write(line)) {
            s.once("drain", more);
            return;
          }
        }
      };
      more();
    });
    const error = await rejection(dialThrough(proxy.address, "backend.test:443"));
    expect(error.message).toBe(
      `the proxy ${proxy.address} answered CONNECT backend.test:443 with more than ${maxConnectResponseBytes} bytes of headers; is ${proxy.address} an HTTP proxy?`,
    );
    // The client closed the connection instead of reading the whole megabyte.
    await waitFor(() => proxy.sockets[0]!.destroyed || proxy.sockets[0]!.readableEnded);
  });

  it("fails cleanly when the proxy closes before answering or in the middle of its answer", async () => {
    const silent = await fakeProxy((s) => s.end());
    expect((await rejection(dialThrough(silent.address, "backend.test:443"))).message).toBe(
      `the proxy ${silent.address} closed the connection before answering CONNECT backend.test:443`,
    );
    const halfway = await fakeProxy((s) => s.end("HTTP/1.1 200 Connection est"));
    expect((await rejection(dialThrough(halfway.address, "backend.test:443"))).message).toBe(
      `the proxy ${halfway.address} closed the connection in the middle of its answer to CONNECT backend.test:443`,
    );
  });

  it("refuses an answer that is not HTTP, quoting it printable", async () => {
    const proxy = await fakeProxy((s) => s.write("SSH-2.0-OpenSSH_9.2\x01\r\n\r\n"));
    expect((await rejection(dialThrough(proxy.address, "backend.test:443"))).message).toBe(
      `the proxy ${proxy.address} answered CONNECT backend.test:443 with "SSH-2.0-OpenSSH_9.2?", which is not an HTTP/1.x status line`,
    );
  });

  it("counts the CONNECT exchange in the connect timeout, closing the connection to a proxy that never answers", async () => {
    const proxy = await fakeProxy(() => {});
    const error = await rejection(dialThrough(proxy.address, "backend.test:443", { connectTimeoutMs: 80 }));
    expect(error.message).toBe("timed out after 80 ms");
    await waitFor(() => proxy.sockets[0]!.destroyed || proxy.sockets[0]!.readableEnded);
  });

  it("never tunnels to a unix socket", async () => {
    // The proxy address is a closed port: a dial that went to it would fail with ECONNREFUSED.
    const error = await rejection(dialThrough("127.0.0.1:1", "unix:/nonexistent/grpckit-proxy-test.sock"));
    expect(error.message).toContain("/nonexistent/grpckit-proxy-test.sock");
  });
});
