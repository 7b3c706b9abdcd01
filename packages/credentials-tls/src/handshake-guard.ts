/**
 * Watches one TLS handshake until it is settled: an error, the socket closing or the
 * timeout rejects it once, with the message the side chooses, and cleans up.
 */
import type { Duplex } from "node:stream";
import type * as tls from "node:tls";

/** The error to report for each way a handshake can fail. */
export interface HandshakeFailures {
  error(e: Error): Error;
  close(): Error;
  timeout(): Error;
}

export interface HandshakeGuard {
  readonly settled: boolean;
  /** Settles the handshake: successfully with no error, else rejecting with it. */
  settle(error?: Error): void;
}

export function guardHandshake(
  tlsSocket: tls.TLSSocket,
  raw: Duplex,
  timeoutMs: number,
  failures: HandshakeFailures,
  reject: (error: Error) => void,
): HandshakeGuard {
  let settled = false;
  const onError = (e: Error) => guard.settle(failures.error(e));
  const onClose = () => guard.settle(failures.close());
  const timer = setTimeout(() => guard.settle(failures.timeout()), timeoutMs);
  const guard: HandshakeGuard = {
    get settled() {
      return settled;
    },
    settle(error?: Error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tlsSocket.off("error", onError);
      tlsSocket.off("close", onClose);
      if (error === undefined) return;
      // The TLS socket first: it still reads from the raw one.
      tlsSocket.destroy();
      raw.destroy();
      reject(error);
    },
  };
  tlsSocket.on("error", onError);
  tlsSocket.once("close", onClose);
  return guard;
}
