import net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { insecureCredentials, type ChannelCredentials, type HandshakeResult } from "../src/credentials/credentials.js";
import type { ClientTransportOptions } from "../src/transport/transport.js";
import { dialTransport, type DialedSocket, type StartConnection } from "../src/transport/dial-transport.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A server on 127.0.0.1 that counts the sockets it accepted and closes them when the test ends. */
async function startServer(path?: string): Promise<{ address: string; accepted: net.Socket[] }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    accepted.push(socket);
  });
  await new Promise<void>((resolve) => (path !== undefined ? server.listen(path, resolve) : server.listen(0, "127.0.0.1", resolve)));
  cleanups.push(() => {
    for (const s of accepted) s.destroy();
    server.close();
  });
  const address = path !== undefined ? `unix:${path}` : `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { address, accepted };
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function optionsWith(credentials: ChannelCredentials, extra: Partial<ClientTransportOptions> = {}): ClientTransportOptions {
  return { authority: "example.test", credentials, onClose: () => {}, onGoaway: () => {}, ...extra };
}

/** Dials `address`, keeping the dialed socket; the start is the test's. */
function dial<T>(address: string, options: ClientTransportOptions, start: StartConnection<net.Socket, T>): Promise<T> {
  return dialTransport(address, options, (target) => net.connect(target), start);
}

/** The Error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail("resolved"),
    (e: Error) => e,
  );
}

describe("dialTransport", () => {
  it("resolves with what the transport made once it is ready, knowing the peer, this end and the handshake's auth info", async () => {
    const { address, accepted } = await startServer();
    let seen: DialedSocket<net.Socket, string> | undefined;
    const result = await dial<string>(address, optionsWith(insecureCredentials()), (dialed) => {
      seen = dialed;
      expect(dialed.settled).toBe(false);
      setImmediate(() => dialed.ready("the transport"));
    });
    expect(result).toBe("the transport");
    expect(seen!.settled).toBe(true);
    expect(seen!.peer).toEqual({ address, authInfo: { type: "insecure", securityLevel: "none" } });
    expect(seen!.localAddress).toBe(`127.0.0.1:${accepted[0]!.remotePort}`);
    // A late failure of a ready connection is the transport's to report, not the dial's.
    seen!.fail(new Error("too late"));
    expect(seen!.raw.destroyed).toBe(false);
  });

  it("names a unix socket server by its unix: address and has no local address", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grpckit-dial-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { address } = await startServer(join(dir, "s.sock"));
    const dialed = await dial<DialedSocket<net.Socket, unknown>>(address, optionsWith(insecureCredentials()), (d) => d.ready(d));
    expect(dialed.peer.address).toBe(address);
    expect(dialed.localAddress).toBeUndefined();
  });

  it("fails a refused connect with node's message alone, which names the address once", async () => {
    const port = await closedPort();
    const error = await rejection(dial(`127.0.0.1:${port}`, optionsWith(insecureCredentials()), () => expect.fail("started")));
    expect(error.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  it("rejects a malformed address with the address parser's message", async () => {
    await expect(dial("no-port", optionsWith(insecureCredentials()), () => {})).rejects.toThrow('address "no-port" has no port');
  });

  it("fails with the handshake's error, and with an error thrown starting it, closing the socket", async () => {
    const { address, accepted } = await startServer();
    const refusing: ChannelCredentials = { secure: true, clientHandshake: () => Promise.reject(new Error("certificate has expired")) };
    const error = await rejection(dial(address, optionsWith(refusing), () => expect.fail("started")));
    expect(error.message).toBe("certificate has expired");
    expect((error.cause as Error).message).toBe("certificate has expired");

    const throwing: ChannelCredentials = {
      secure: true,
      clientHandshake: () => {
        throw new Error("no client certificate loaded");
      },
    };
    await expect(dial(address, optionsWith(throwing), () => {})).rejects.toThrow("no client certificate loaded");
    await waitFor(() => accepted.length === 2 && accepted.every((s) => s.readableEnded || s.destroyed));
  });

  it("refuses a server that agreed on an ALPN protocol other than h2, closing the socket", async () => {
    const { address, accepted } = await startServer();
    const http1: ChannelCredentials = { secure: true, clientHandshake: (socket) => Promise.resolve({ socket, alpnProtocol: "http/1.1" }) };
    await expect(dial(address, optionsWith(http1), () => expect.fail("started"))).rejects.toThrow(
      'the server negotiated ALPN protocol "http/1.1" instead of "h2"',
    );
    await waitFor(() => accepted.length === 1 && (accepted[0]!.readableEnded || accepted[0]!.destroyed));
  });

  it("times out a connection that is never ready, undoing what the transport started and closing the socket", async () => {
    const { address, accepted } = await startServer();
    let undone = 0;
    const error = await rejection(
      dial(address, optionsWith(insecureCredentials(), { connectTimeoutMs: 50 }), () => () => {
        undone++;
      }),
    );
    expect(error.message).toBe("timed out after 50 ms");
    expect(undone).toBe(1);
    await waitFor(() => accepted.length === 1 && (accepted[0]!.readableEnded || accepted[0]!.destroyed));
  });

  it("times out a handshake that never finishes, leaving the socket to the credentials under way", async () => {
    const { address } = await startServer();
    let handshakeSocket: net.Socket | undefined;
    const stuck: ChannelCredentials = {
      secure: true,
      clientHandshake: (socket) => {
        handshakeSocket = socket as net.Socket;
        return new Promise<HandshakeResult>(() => {});
      },
    };
    cleanups.push(() => handshakeSocket?.destroy());
    await expect(dial(address, optionsWith(stuck, { connectTimeoutMs: 30 }), () => {})).rejects.toThrow("timed out after 30 ms");
    expect(handshakeSocket!.destroyed).toBe(false);
  });

  it("fails with what the transport's start throws, and runs the undo of a start that failed the dial itself", async () => {
    const { address } = await startServer();
    await expect(
      dial(address, optionsWith(insecureCredentials()), () => {
        throw new Error("cannot start HTTP/2");
      }),
    ).rejects.toThrow("cannot start HTTP/2");

    let undone = 0;
    await expect(
      dial(address, optionsWith(insecureCredentials()), (dialed) => {
        dialed.fail(new Error("the connection closed before the server's SETTINGS arrived"));
        return () => undone++;
      }),
    ).rejects.toThrow("the connection closed before the server's SETTINGS arrived");
    expect(undone).toBe(1);
  });
});

/** Resolves once `check` is true, looking at most 500 times a few ms apart. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}
