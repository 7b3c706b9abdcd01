/**
 * The client side: core's `dialTransport` connects a socket and runs the credentials'
 * handshake on it; this starts a node:http2 session over the secured socket and waits
 * for the server's SETTINGS before handing core a ready ClientTransport.
 *
 * The socket keeps the process alive while the transport is open; core closes the
 * transport when its channel closes.
 */
import {
  dialTransport,
  Http2ErrorCode,
  type ClientStreamListener,
  type ClientTransport,
  type ClientTransportOptions,
  type ClientTransportStream,
  type FlowControlWindows,
  type Http2Headers,
  type Http2Settings,
  type Peer,
  KeepalivePinger,
  tooManyPings,
  type ClientKeepalive,
} from "@grpckit/core";
import http2 from "node:http2";
import net from "node:net";
import type { Duplex } from "node:stream";
import { ClientStream, type ClientStreamHost } from "./client-stream.js";
import { pingOver } from "./server-connection-manager.js";
import { sessionWindows, toNodeSettings } from "./settings.js";

/** node:http2 session options the builder passes to every client connection. */
export interface ClientSessionOptions {
  settings: Http2Settings;
  maxSessionMemory: number;
  maxOutstandingPings: number | undefined;
  /** Keepalive for this connection; a `timeMs` of Infinity turns it off. */
  keepalive: ClientKeepalive;
  /** The server sent GOAWAY ENHANCE_YOUR_CALM "too_many_pings". */
  onTooManyPings(): void;
}

const requestOptions: http2.ClientSessionRequestOptions = { endStream: false };

/** Connects to `address` and resolves once the server's HTTP/2 SETTINGS arrived. */
export function connectHttp2(
  address: string,
  options: ClientTransportOptions,
  session: ClientSessionOptions,
): Promise<ClientTransport> {
  return dialTransport(address, options, (target) => net.connect(target), (dialed) => {
    const { socket: secured, raw, peer } = dialed;
    const s = http2.connect(authorityUrl(options), {
      createConnection: () => secured,
      settings: toNodeSettings(session.settings),
      maxSessionMemory: session.maxSessionMemory,
      ...(session.maxOutstandingPings !== undefined ? { maxOutstandingPings: session.maxOutstandingPings } : {}),
    });
    const onEarlyError = (e: Error) => dialed.fail(e);
    const onEarlyClose = () => dialed.fail(new Error(earlyCloseMessage(options, raw, peer.address)));
    s.on("error", onEarlyError);
    s.once("close", onEarlyClose);
    s.once("remoteSettings", () => {
      if (dialed.settled) return;
      const windowSize = session.settings.connectionWindowSize;
      try {
        if (windowSize !== undefined) s.setLocalWindowSize(windowSize);
      } catch (e) {
        dialed.fail(e);
        return;
      }
      s.off("error", onEarlyError);
      s.off("close", onEarlyClose);
      dialed.ready(new Http2ClientTransport(s, raw, secured, dialed.localAddress, peer, options, session));
    });
    return () => s.destroy();
  });
}

/**
 * Why the connection closed before the server's SETTINGS. A TLS server answers a
 * plaintext client's HTTP/2 preface by closing the connection, with nothing or with a
 * 7-byte TLS alert record: fewer bytes than one HTTP/2 frame header. node:http2 reads
 * the socket itself, so the count of bytes read is what can be seen of them.
 */
function earlyCloseMessage(options: ClientTransportOptions, raw: net.Socket, peerAddress: string): string {
  if (options.credentials.secure || raw.bytesRead >= frameHeaderBytes) return "the connection closed before the server's HTTP/2 SETTINGS arrived";
  return (
    `the server at ${peerAddress} closed the connection without answering the HTTP/2 preface (${raw.bytesRead} bytes received): ` +
    "it seems to expect TLS; use tlsChannelCredentials() from @grpckit/credentials-tls"
  );
}

const frameHeaderBytes = 9;

/** node:http2 wants a URL for the session; it is the default :authority and :scheme of requests. */
function authorityUrl(options: ClientTransportOptions): string {
  const scheme = options.credentials.secure ? "https" : "http";
  const url = `${scheme}://${options.authority}`;
  return URL.canParse(url) ? url : `${scheme}://localhost`;
}

/** A ready client connection over one node:http2 session. */
class Http2ClientTransport implements ClientTransport, ClientStreamHost {
  failure: Error | undefined;
  received = false;
  openStreams = 0;
  private readonly keepalive: KeepalivePinger | undefined;
  private closedByUs = false;
  private goawayReceived = false;
  private sessionError: Error | undefined;
  private finished = false;

  constructor(
    private readonly session: http2.ClientHttp2Session,
    raw: net.Socket,
    secured: Duplex,
    readonly localAddress: string | undefined,
    readonly peer: Peer,
    private readonly options: ClientTransportOptions,
    sessionOptions: ClientSessionOptions,
  ) {
    session.on("error", (e) => {
      if (this.closedByUs) return;
      this.sessionError ??= e;
      this.failure ??= new Error(`connection to ${peer.address} failed: ${e.message}`, { cause: e });
    });
    session.on("goaway", (code: number, _lastStreamId: number, debugData?: Buffer) => {
      this.goawayReceived = true;
      if (code !== Http2ErrorCode.NO_ERROR) {
        // node destroys the session after a GOAWAY with an error: say what the server said.
        const debug = debugData !== undefined && debugData.length > 0 ? debugData.toString("latin1") : undefined;
        if (code === Http2ErrorCode.ENHANCE_YOUR_CALM && debug === tooManyPings) sessionOptions.onTooManyPings();
        this.failure ??= new Error(`connection to ${peer.address} closed by the server with GOAWAY ${errorName(code)}${debug !== undefined ? ` "${debug}"` : ""}`);
      }
      options.onGoaway(code);
    });
    const keepalive = sessionOptions.keepalive;
    if (keepalive.timeMs !== Infinity) {
      this.keepalive = new KeepalivePinger(pingOver(session), this, {
        timeMs: keepalive.timeMs,
        timeoutMs: keepalive.timeoutMs,
        permitWithoutCalls: keepalive.permitWithoutCalls,
        onTimeout: () => this.keepaliveTimedOut(keepalive.timeoutMs),
      });
    }
    session.once("close", () => this.finish());
    // node closes the session's streams synchronously when the socket closes, before
    // their 'close' events: recording the loss here lets each stream report it.
    const onSocketClose = () => {
      this.failure ??= new Error(`connection to ${peer.address} closed`);
    };
    secured.once("close", onSocketClose);
    if (raw !== secured) raw.once("close", onSocketClose);
  }

  flowControl(): FlowControlWindows | undefined {
    return sessionWindows(this.session);
  }

  keepalivesSent(): number {
    return this.keepalive?.pingsSent ?? 0;
  }

  openStream(headers: Http2Headers, listener: ClientStreamListener): ClientTransportStream {
    const session = this.session;
    if (session.closed || session.destroyed) {
      throw new Error(`connection to ${this.peer.address} is closed`);
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, requestOptions);
    } catch (e) {
      throw new Error(`cannot open a stream on the connection to ${this.peer.address}: ${(e as Error).message}`, { cause: e });
    }
    this.openStreams++;
    if (this.keepalive?.dormant === true) this.keepalive.streamOpened();
    return new ClientStream(stream, listener, this);
  }

  streamClosed(): void {
    this.openStreams--;
  }

  private keepaliveTimedOut(timeoutMs: number): void {
    if (this.session.destroyed) return;
    const error = new Error(`connection to ${this.peer.address} lost: keepalive ping not acknowledged within ${timeoutMs} ms`);
    this.failure ??= error;
    this.sessionError ??= error;
    // Core learns of the loss before the streams fail, so a call made right after
    // theirs picks a new connection rather than this one.
    this.finish();
    this.session.destroy(error, Http2ErrorCode.CANCEL);
  }

  close(): void {
    this.closedByUs = true;
    if (!this.session.closed && !this.session.destroyed) this.session.close();
  }

  destroy(): void {
    if (this.session.destroyed) return;
    this.closedByUs = true;
    const error = new Error(`connection to ${this.peer.address} was closed by the client`);
    this.failure ??= error;
    // With CANCEL, not node's default NO_ERROR: node:http2 can spin forever resetting a
    // stream with NO_ERROR when the session is destroyed from inside one of its callbacks.
    this.session.destroy(error, Http2ErrorCode.CANCEL);
  }

  ping(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const session = this.session;
      if (session.closed || session.destroyed) {
        reject(new Error(`connection to ${this.peer.address} is closed`));
        return;
      }
      try {
        const sent = session.ping((err, duration) => {
          if (err !== null) reject(err);
          else resolve(duration);
        });
        if (!sent) reject(new Error(`connection to ${this.peer.address} has too many unanswered pings`));
      } catch (e) {
        reject(e as Error);
      }
    });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.keepalive?.stop();
    let error: Error | undefined;
    if (this.sessionError !== undefined) error = this.failure;
    else if (!this.closedByUs && !this.goawayReceived) error = this.failure ?? new Error(`connection to ${this.peer.address} closed`);
    this.options.onClose(error);
  }
}

/** "ENHANCE_YOUR_CALM" for 0xb; the hex code for one RFC 9113 does not name. */
function errorName(code: number): string {
  for (const [name, value] of Object.entries(Http2ErrorCode)) if (value === code) return name;
  return `0x${code.toString(16)}`;
}
