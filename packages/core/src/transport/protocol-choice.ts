/**
 * Which HTTP a secured socket speaks, for a listener that serves both: ALPN's answer
 * when the handshake agreed on one (TLS), else the first bytes (a plain socket).
 * HTTP/2's connection preface starts "PRI "; an HTTP/1.1 request starts with its method.
 */
import type { HttpProtocol, SecuredSocket } from "./server-socket-acceptor.js";
import type { NetSocket } from "./socket-types.js";

/**
 * Calls `start` with the socket's protocol: at once when ALPN agreed on it, else once
 * its first bytes arrived (they stay unread, for the connection that starts). A socket
 * that says nothing for `silentTimeoutMs` is destroyed: the same bound HTTP/2 puts on a
 * client that never acknowledges the server's SETTINGS.
 */
export function chooseProtocol(
  secured: SecuredSocket<NetSocket>,
  start: (protocol: HttpProtocol) => void,
  silentTimeoutMs = defaultSilentTimeoutMs,
): void {
  if (secured.protocol !== undefined) {
    start(secured.protocol);
    return;
  }
  const socket = secured.socket;
  const silent = setTimeout(() => socket.destroy(), silentTimeoutMs);
  silent.unref?.();
  const sniff = () => {
    const first = socket.read() as Buffer | null;
    if (first === null) return;
    clearTimeout(silent);
    socket.off("readable", sniff);
    socket.unshift(first);
    start(isPrefacePrefix(first) ? "h2" : "http/1.1");
  };
  socket.on("readable", sniff);
  socket.once("close", () => clearTimeout(silent));
}

const preface = Buffer.from("PRI ");

/** How long an accepted plain connection may stay silent before its first bytes. */
const defaultSilentTimeoutMs = 10_000;

/** Whether `first` starts like HTTP/2's connection preface (or is too short to tell otherwise). */
function isPrefacePrefix(first: Buffer): boolean {
  const n = Math.min(first.byteLength, preface.byteLength);
  return first.subarray(0, n).equals(preface.subarray(0, n));
}
