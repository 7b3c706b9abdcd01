/**
 * The correctness check on a sample of Connect unary calls, over HTTP/1.1 (node:http)
 * or HTTP/2 (node:http2): each answer's HTTP status, content-type and body, which must
 * be the request's bytes (an EchoResponse with the same payload encodes identically).
 */
import http from "node:http";
import http2 from "node:http2";
import { ECHO_PATH } from "./bench-message.js";

/** The request headers of a Connect unary call with a binary message. */
export const CONNECT_REQUEST_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/proto",
  "connect-protocol-version": "1",
};

/** What the sample answered. */
export interface ConnectCheckResult {
  requests: number;
  /** Answers with HTTP status 200. */
  http200: number;
  /** Answers whose body was the request's message, byte for byte. */
  echoed: number;
  /** Every HTTP status seen (normally just 200). */
  statuses: number[];
  /** Every content-type seen (normally "application/proto"). */
  contentTypes: string[];
}

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Sends `count` Connect unary echo calls carrying `message` to `address` over `version` and reports what came back. */
export async function checkConnectEcho(address: string, message: Uint8Array, count: number, version: "1.1" | "2"): Promise<ConnectCheckResult> {
  const answers: Answer[] = [];
  if (version === "2") {
    const session = http2.connect(`http://${address}`);
    session.on("error", () => {});
    try {
      answers.push(...(await Promise.all(Array.from({ length: count }, () => overHttp2(session, message)))));
    } finally {
      session.close();
    }
  } else {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      answers.push(...(await Promise.all(Array.from({ length: count }, () => overHttp1(agent, address, message)))));
    } finally {
      agent.destroy();
    }
  }
  const expected = Buffer.from(message);
  return {
    requests: count,
    http200: answers.filter((a) => a.status === 200).length,
    echoed: answers.filter((a) => a.body.equals(expected)).length,
    statuses: [...new Set(answers.map((a) => a.status))],
    contentTypes: [...new Set(answers.map((a) => a.contentType))],
  };
}

function overHttp2(session: http2.ClientHttp2Session, message: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": ECHO_PATH, ...CONNECT_REQUEST_HEADERS });
    const chunks: Buffer[] = [];
    let status = 0;
    let contentType = "(none)";
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
      contentType = String(headers["content-type"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => resolve({ status, contentType, body: Buffer.concat(chunks) }));
    stream.end(message);
  });
}

function overHttp1(agent: http.Agent, address: string, message: Uint8Array): Promise<Answer> {
  const colon = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const request = http.request({
      agent,
      host: address.slice(0, colon),
      port: Number(address.slice(colon + 1)),
      method: "POST",
      path: ECHO_PATH,
      headers: { ...CONNECT_REQUEST_HEADERS, "content-length": String(message.byteLength) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers["content-type"]), body: Buffer.concat(chunks) }));
    });
    request.on("error", reject);
    request.end(message);
  });
}
