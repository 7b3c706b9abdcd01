import net from "node:net";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { isLoopbackAddress, localCredentials } from "../src/index.js";
import { listenOn } from "../src/transport/listen-on.js";
import { ServerSocketAcceptor, type SecuredSocket } from "../src/transport/server-socket-acceptor.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** An unconnected node:net socket that reports `remoteAddress` as its peer, as a TCP socket from that address would. */
function socketFrom(remoteAddress: string): net.Socket {
  const socket = new net.Socket();
  Object.defineProperty(socket, "remoteAddress", { value: remoteAddress });
  cleanups.push(() => socket.destroy());
  return socket;
}

describe("isLoopbackAddress", () => {
  it("is true for 127.0.0.0/8, ::1 and IPv4-mapped 127.x", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "::ffff:127.0.0.1", "::FFFF:127.9.9.9"]) {
      expect(isLoopbackAddress(a), a).toBe(true);
    }
  });

  it("is false for every other address", () => {
    for (const a of ["10.1.2.3", "128.0.0.1", "0.0.0.0", "::", "::2", "::ffff:10.0.0.1", "fe80::1", "1270.0.0.1", "localhost"]) {
      expect(isLoopbackAddress(a), a).toBe(false);
    }
  });
});

describe("localCredentials' handshake", () => {
  it("refuses a client connection to a non-loopback address, naming it", async () => {
    await expect(localCredentials().clientHandshake(socketFrom("10.1.2.3"), "svc:443")).rejects.toThrow(
      "local credentials accept only unix sockets and loopback connections; 10.1.2.3 is neither",
    );
  });

  it("refuses a server connection from a non-loopback address, naming it", async () => {
    await expect(localCredentials().serverHandshake(socketFrom("192.168.0.7"))).rejects.toThrow(
      "local credentials accept only unix sockets and loopback connections; 192.168.0.7 is neither",
    );
    await expect(localCredentials().serverHandshake(socketFrom("::ffff:10.0.0.1"))).rejects.toThrow(/::ffff:10\.0\.0\.1 is neither/);
  });

  it("refuses a stream that is not a socket (a dialer's pipe), since it cannot tell where it leads", async () => {
    const pipe = new PassThrough();
    await expect(localCredentials().clientHandshake(pipe, "svc")).rejects.toThrow(/not a node:net socket is neither/);
  });

  it("accepts loopback with security level none, and keeps the socket as it is (plaintext)", async () => {
    for (const address of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      const socket = socketFrom(address);
      const hs = await localCredentials().clientHandshake(socket, "svc");
      expect(hs.socket).toBe(socket);
      expect(hs.authInfo).toEqual({ type: "local", securityLevel: "none" });
    }
  });

  it("is not secure for :scheme", () => {
    expect(localCredentials().secure).toBe(false);
  });
});

describe("a server acceptor with local credentials", () => {
  it("drops a connection from a non-loopback address and hands off a loopback one", async () => {
    const server = net.createServer();
    const address = await listenOn(server, "127.0.0.1:0");
    const handedOff: SecuredSocket<net.Socket>[] = [];
    const acceptor = new ServerSocketAcceptor<net.Socket>(server, address, localCredentials(), (s) => handedOff.push(s));
    cleanups.push(() => acceptor.destroySockets());

    // As node would hand the server a socket accepted from 10.1.2.3.
    const remote = socketFrom("10.1.2.3");
    const remoteClosed = new Promise<void>((r) => remote.once("close", () => r()));
    server.emit("connection", remote);
    await remoteClosed;
    expect(remote.destroyed).toBe(true);

    const local = net.connect({ host: "127.0.0.1", port: Number(address.split(":")[1]) });
    local.on("error", () => {});
    cleanups.push(() => local.destroy());
    for (let i = 0; i < 500 && handedOff.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
    expect(handedOff).toHaveLength(1);
    expect(handedOff[0].peer.authInfo).toEqual({ type: "local", securityLevel: "none" });
  });
});
