/**
 * The correctness check on a sample: unary echo requests sent with node:http2, reading
 * each response's HTTP status, content-type, body and grpc-status trailer.
 */
import http2 from "node:http2";
import { ECHO_PATH } from "./bench-message.js";

/** What the sample answered. */
export interface EchoCheckResult {
  requests: number;
  /** Responses ending with grpc-status 0. */
  grpcStatusOk: number;
  /** Responses whose body was the request's frame, byte for byte. */
  echoed: number;
  /** Every grpc-status seen (normally just "0"). */
  grpcStatuses: string[];
  /** Every content-type seen (normally "application/grpc" or "application/grpc+proto"). */
  contentTypes: string[];
}

/** Sends `count` unary echo requests carrying `frame` to `address` and reports what came back. */
export async function checkEcho(address: string, frame: Buffer, count: number): Promise<EchoCheckResult> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  try {
    const answers = await Promise.all(Array.from({ length: count }, () => echoOnce(session, frame)));
    return {
      requests: count,
      grpcStatusOk: answers.filter((answer) => answer.grpcStatus === "0").length,
      echoed: answers.filter((answer) => answer.body.equals(frame)).length,
      grpcStatuses: [...new Set(answers.map((answer) => answer.grpcStatus))],
      contentTypes: [...new Set(answers.map((answer) => answer.contentType))],
    };
  } finally {
    session.close();
  }
}

function echoOnce(session: http2.ClientHttp2Session, frame: Buffer): Promise<{ grpcStatus: string; contentType: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": ECHO_PATH,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let grpcStatus = "(none)";
    let contentType = "(none)";
    stream.on("response", (headers) => {
      contentType = String(headers["content-type"]);
      if (headers["grpc-status"] !== undefined) grpcStatus = String(headers["grpc-status"]);
    });
    stream.on("trailers", (trailers) => {
      grpcStatus = String(trailers["grpc-status"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => resolve({ grpcStatus, contentType, body: Buffer.concat(chunks) }));
    stream.end(frame);
  });
}
