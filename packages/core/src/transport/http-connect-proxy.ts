/**
 * The HTTP CONNECT exchange that opens a tunnel through an HTTP proxy (RFC 9110
 * §9.3.6, gRFC A1): on a socket connected to the proxy, ask it to connect to the
 * backend, read its answer up to the end of the header block, and leave the socket
 * ready for the credentials' handshake with whatever the backend already sent still
 * in it.
 */
import type { Duplex } from "node:stream";

/** An HTTP proxy a connection tunnels through with CONNECT. */
export interface HttpConnectProxy {
  /** The proxy's "host:port" or "[v6]:port": what the socket (or the channel's dialer) connects to. */
  readonly address: string;
  /** "user:password" (percent-decoded) sent as `Proxy-Authorization: Basic`, when the proxy URL has credentials. */
  readonly credentials?: string | undefined;
}

/** The most bytes of a proxy's answer to CONNECT read before its header block must have ended. */
export const maxConnectResponseBytes = 8 * 1024;

/** A quoted status line is cut here: a hostile proxy could send any bytes. */
const maxQuotedStatusLine = 200;

const headerBlockEnd = Buffer.from("\r\n\r\n");

/**
 * Sends `CONNECT target` to the proxy on `socket` and resolves once the proxy answered
 * with a 2xx status: the socket is then a tunnel to `target`, and bytes that came after
 * the proxy's header block are put back into it. Rejects with an Error that names the
 * proxy and quotes its status line when it refuses, and when it closes, errs, or sends
 * more than `maxConnectResponseBytes` without ending its header block. The caller
 * destroys the socket on failure (or to abort); that ends the exchange too.
 */
export function httpConnect(socket: Duplex, proxy: HttpConnectProxy, target: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;

    const finish = (error: Error | undefined, rest?: Buffer) => {
      socket.off("readable", onReadable);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
      if (error !== undefined) {
        reject(error);
        return;
      }
      // The tunnel's first bytes (the backend may speak first) go back for the handshake to read.
      if (rest !== undefined && rest.length > 0) socket.unshift(rest);
      resolve();
    };

    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        received += chunk.length;
        const all = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        // Only the bounded head is searched: a header block ending past the limit is too long.
        const end = all.subarray(0, maxConnectResponseBytes).indexOf(headerBlockEnd);
        if (end < 0) {
          if (received >= maxConnectResponseBytes) {
            finish(
              new Error(
                `the proxy ${proxy.address} answered CONNECT ${target} with more than ${maxConnectResponseBytes} bytes of headers; is ${proxy.address} an HTTP proxy?`,
              ),
            );
            return;
          }
          chunks.length = 0;
          chunks.push(all);
          continue;
        }
        const refusal = refusalOf(all.subarray(0, end).toString("latin1"), proxy, target);
        if (refusal !== undefined) finish(refusal);
        else finish(undefined, all.subarray(end + headerBlockEnd.length));
        return;
      }
    };
    const onEnd = () =>
      finish(
        new Error(
          received === 0
            ? `the proxy ${proxy.address} closed the connection before answering CONNECT ${target}`
            : `the proxy ${proxy.address} closed the connection in the middle of its answer to CONNECT ${target}`,
        ),
      );
    const onError = (e: Error) => finish(new Error(`the connection to the proxy ${proxy.address} failed during CONNECT ${target}: ${e.message}`, { cause: e }));

    socket.on("readable", onReadable);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.on("error", onError);
    socket.write(connectRequest(proxy, target));
  });
}

/** The request: CONNECT with the target as authority-form and Host, and the proxy's credentials. */
function connectRequest(proxy: HttpConnectProxy, target: string): string {
  const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
  if (proxy.credentials !== undefined) {
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(proxy.credentials, "utf8").toString("base64")}`);
  }
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Undefined when the header block's status is 2xx (the tunnel is open); else why the connect failed. */
function refusalOf(head: string, proxy: HttpConnectProxy, target: string): Error | undefined {
  const lineEnd = head.indexOf("\r\n");
  const statusLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  const quoted = quote(statusLine);
  if (status === null) {
    return new Error(`the proxy ${proxy.address} answered CONNECT ${target} with "${quoted}", which is not an HTTP/1.x status line`);
  }
  const code = Number(status[1]);
  if (code >= 200 && code < 300) return undefined;
  let hint = "";
  // 407 is the status for proxy authentication; some proxies (tinyproxy) answer wrong credentials with 401.
  if (code === 407 || code === 401) {
    hint =
      proxy.credentials === undefined
        ? " (the proxy wants credentials: put them in the proxy URL, http://user:password@host:port)"
        : " (the proxy did not accept the credentials in the proxy URL)";
  }
  return new Error(`the proxy ${proxy.address} refused CONNECT ${target}: ${quoted}${hint}`);
}

/** The status line as it can be shown: printable ASCII only, cut to a bounded length. */
function quote(line: string): string {
  const printable = line.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > maxQuotedStatusLine ? `${printable.slice(0, maxQuotedStatusLine)}...` : printable;
}
