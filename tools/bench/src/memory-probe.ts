/**
 * Load that holds server memory without doing work: idle HTTP/2 connections, and bidi
 * streams left open after one echo, opened with node:http2 from the driver.
 */
import http2 from "node:http2";
import { ECHO_STREAM_PATH } from "./bench-message.js";

/** Opens `count` HTTP/2 connections to `address` and resolves once each has answered a PING. */
export async function openIdleConnections(address: string, count: number): Promise<http2.ClientHttp2Session[]> {
  const sessions: http2.ClientHttp2Session[] = [];
  for (let i = 0; i < count; i++) {
    const session = http2.connect(`http://${address}`);
    session.on("error", () => {});
    sessions.push(session);
    await new Promise<void>((resolve, reject) => {
      session.once("connect", () => {
        session.ping((error) => (error === null ? resolve() : reject(error)));
      });
      session.once("error", reject);
    });
  }
  return sessions;
}

/**
 * Opens `perSession` EchoStream calls on each session, sends one framed message on
 * each, and resolves when every stream has echoed it: the server then holds each call
 * open with its handler running.
 */
export function openEchoStreams(
  sessions: readonly http2.ClientHttp2Session[],
  perSession: number,
  frame: Buffer,
): Promise<http2.ClientHttp2Stream[]> {
  const opened: Promise<http2.ClientHttp2Stream>[] = [];
  for (const session of sessions) {
    for (let i = 0; i < perSession; i++) opened.push(openEchoStream(session, frame));
  }
  return Promise.all(opened);
}

function openEchoStream(session: http2.ClientHttp2Session, frame: Buffer): Promise<http2.ClientHttp2Stream> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": ECHO_STREAM_PATH,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received >= frame.length) {
        stream.off("data", onData);
        stream.resume();
        resolve(stream);
      }
    };
    stream.on("data", onData);
    stream.on("error", () => {});
    stream.on("close", () => reject(new Error(`echo stream closed before its echo (rst ${stream.rstCode})`)));
    stream.write(frame);
  });
}

/** Closes the given connections (their open streams are reset). */
export function closeAll(sessions: readonly http2.ClientHttp2Session[]): void {
  for (const session of sessions) session.destroy();
}
