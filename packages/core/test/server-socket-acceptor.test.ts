import net from "node:net";
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { insecureCredentials, type HandshakeResult, type ServerCredentials } from "../src/credentials/credentials.js";
import { listenOn } from "../src/transport/listen-on.js";
import { ServerSocketAcceptor, type SecuredSocket } from "../src/transport/server-socket-acceptor.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A bound acceptor on 127.0.0.1 whose hand-offs are collected, and its port. */
async function startAcceptor(credentials: ServerCredentials, handOff?: (s: SecuredSocket<net.Socket>) => void) {
  const server = net.createServer();
  const address = await listenOn(server, "127.0.0.1:0");
  const handedOff: SecuredSocket<net.Socket>[] = [];
  const acceptor = new ServerSocketAcceptor<net.Socket>(server, address, credentials, (s) => {
    handedOff.push(s);
    handOff?.(s);
  });
  cleanups.push(() => acceptor.destroySockets());
  return { acceptor, address, port: Number(address.split(":")[1]), handedOff };
}

/** A connected client socket, with a promise of its close. */
function dial(port: number): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => resolve({ socket, closed }));
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    socket.on("error", () => {});
    socket.once("error", reject);
    cleanups.push(() => socket.destroy());
  });
}

/** Resolves once `check` is true, looking at most `tries` times a turn apart. */
async function until(check: () => boolean, tries = 500): Promise<void> {
  for (let i = 0; i < tries && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

/** Echoes what it reads back over `socket`. */
function echo(s: SecuredSocket<net.Socket>): void {
  s.socket.on("data", (chunk: Buffer) => s.socket.write(chunk));
}

/** Writes `text` to `socket` and resolves with as many bytes read back. */
function echoed(socket: net.Socket, text: string): Promise<string> {
  const n = text.length;
  socket.write(text);
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (text.length >= n) {
        socket.off("data", onData);
        resolve(text);
      }
    };
    socket.on("data", onData);
  });
}

/** Credentials whose handshake resolves with `result` over the socket it is given. */
function handshakeWith(result: Omit<HandshakeResult, "socket">): ServerCredentials {
  return { secure: false, serverHandshake: (socket) => Promise.resolve({ socket, ...result }) };
}

describe("ServerSocketAcceptor", () => {
  it("hands off each handshaken socket with the peer's and its own address, and bytes flow both ways", async () => {
    const { port, address, handedOff } = await startAcceptor(insecureCredentials(), echo);
    const client = await dial(port);
    await until(() => handedOff.length === 1);
    const [accepted] = handedOff;
    expect(accepted!.peer).toEqual({ address: `127.0.0.1:${client.socket.localPort}`, authInfo: { type: "insecure", securityLevel: "none" } });
    expect(accepted!.localAddress).toBe(address);
    expect(accepted!.socket).toBe(accepted!.raw);
    expect(await echoed(client.socket, "ping")).toBe("ping");
  });

  it("closes a socket whose handshake fails or throws, and still serves the next one", async () => {
    let attempt = 0;
    const credentials: ServerCredentials = {
      secure: true,
      serverHandshake(socket) {
        attempt++;
        if (attempt === 1) return Promise.reject(new Error("bad certificate"));
        if (attempt === 2) throw new Error("handshake could not start");
        return Promise.resolve({ socket });
      },
    };
    const { port, handedOff } = await startAcceptor(credentials, echo);
    const first = await dial(port);
    await first.closed;
    const second = await dial(port);
    await second.closed;
    const third = await dial(port);
    expect(await echoed(third.socket, "ok")).toBe("ok");
    expect(handedOff).toHaveLength(1);
  });

  it("refuses a peer that agreed on an ALPN protocol other than h2 or http/1.1, and hands on h2 and http/1.1 with the protocol agreed", async () => {
    const refusing = await startAcceptor(handshakeWith({ alpnProtocol: "spdy/3" }));
    const refused = await dial(refusing.port);
    await refused.closed;
    expect(refusing.handedOff).toHaveLength(0);

    for (const protocol of ["h2", "http/1.1"] as const) {
      const agreeing = await startAcceptor(handshakeWith({ alpnProtocol: protocol }));
      await dial(agreeing.port);
      await until(() => agreeing.handedOff.length === 1);
      expect(agreeing.handedOff[0]!.protocol).toBe(protocol);
    }
    // Without ALPN (a plain socket) the protocol is left for the first bytes to tell.
    const plain = await startAcceptor(insecureCredentials());
    await dial(plain.port);
    await until(() => plain.handedOff.length === 1);
    expect(plain.handedOff[0]!.protocol).toBeUndefined();
  });

  it("closes the socket when the hand-off throws, and keeps serving", async () => {
    let calls = 0;
    const { port } = await startAcceptor(insecureCredentials(), (s) => {
      if (++calls === 1) throw new Error("cannot start a connection");
      echo(s);
    });
    const first = await dial(port);
    await first.closed;
    const second = await dial(port);
    expect(await echoed(second.socket, "still here")).toBe("still here");
  });

  it("on drain, stops listening and ends the handshakes still running, leaving handed-off sockets open", async () => {
    let handshakes = 0;
    const credentials: ServerCredentials = {
      secure: false,
      // The first handshake finishes; the second never does.
      serverHandshake: (socket) => (++handshakes === 1 ? Promise.resolve({ socket }) : new Promise<HandshakeResult>(() => {})),
    };
    const { acceptor, port, handedOff } = await startAcceptor(credentials, echo);
    const served = await dial(port);
    await until(() => handedOff.length === 1);
    const stuck = await dial(port);
    await until(() => handshakes === 2);

    acceptor.drain();
    expect(acceptor.stopping).toBe(true);
    await stuck.closed;
    await expect(dial(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(await echoed(served.socket, "after drain")).toBe("after drain");
    // The server closes once its last socket has.
    served.socket.end();
    await acceptor.closed;
  });

  it("on destroySockets, destroys every accepted socket, the secured wrapper and the raw one under it", async () => {
    const wrappers: Duplex[] = [];
    const credentials: ServerCredentials = {
      secure: true,
      serverHandshake(socket) {
        // A stand-in for a TLS socket: a separate stream object over the raw one.
        const wrapper = new Duplex({ read() {}, write: (chunk, _enc, done) => socket.write(chunk, done) });
        wrappers.push(wrapper);
        return Promise.resolve({ socket: wrapper });
      },
    };
    const { acceptor, port, handedOff } = await startAcceptor(credentials);
    const clients = [await dial(port), await dial(port)];
    await until(() => handedOff.length === 2);
    expect(handedOff[0]!.socket).not.toBe(handedOff[0]!.raw);

    acceptor.destroySockets();
    await Promise.all(clients.map((c) => c.closed));
    expect(wrappers.map((w) => w.destroyed)).toEqual([true, true]);
    expect(handedOff.map((s) => s.raw.destroyed)).toEqual([true, true]);
    await acceptor.closed;
  });

  it("destroys a socket whose handshake finishes after the acceptor stopped, rather than handing it off", async () => {
    let finish: (() => void) | undefined;
    const credentials: ServerCredentials = {
      secure: false,
      serverHandshake: (socket) => new Promise<HandshakeResult>((resolve) => (finish = () => resolve({ socket }))),
    };
    const { acceptor, port, handedOff } = await startAcceptor(credentials);
    const client = await dial(port);
    await until(() => finish !== undefined);
    acceptor.stop();
    finish!();
    await client.closed;
    expect(handedOff).toHaveLength(0);
  });
});
