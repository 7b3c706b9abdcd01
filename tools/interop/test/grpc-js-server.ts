/**
 * The interop TestService on @grpc/grpc-js: the peer server grpckit's client cases
 * run against. It behaves as src/server.ts does except where grpc-js has no API for
 * it: a grpc-js server never compresses a response (its framing always writes the
 * compressed flag 0) and a handler cannot learn whether a request arrived compressed,
 * so response_compressed, ResponseParameters.compressed and expect_compressed are
 * ignored (the CompressedResponse and CompressedRequest features are missing).
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { echoInitialKey, echoTrailingKey } from "../src/case-parameters.js";
import {
  grpcTesting,
  type JsEchoStatus,
  type JsSimpleRequest,
  type JsSimpleResponse,
  type JsStreamingInputCallRequest,
  type JsStreamingInputCallResponse,
  type JsStreamingOutputCallRequest,
  type JsStreamingOutputCallResponse,
} from "./grpc-js-proto.js";

type Call = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;
type OutputStream = grpc.ServerWritableStream<unknown, JsStreamingOutputCallResponse> | grpc.ServerDuplexStream<JsStreamingOutputCallRequest, JsStreamingOutputCallResponse>;

function echoHeader(call: Call): void {
  const values = call.metadata.get(echoInitialKey);
  if (values.length === 0) return;
  const md = new grpc.Metadata();
  for (const v of values) md.add(echoInitialKey, v);
  call.sendMetadata(md);
}

function echoTrailer(call: Call): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const v of call.metadata.get(echoTrailingKey)) md.add(echoTrailingKey, v);
  return md;
}

function statusFor(status: JsEchoStatus | null, trailer: grpc.Metadata): grpc.StatusObject | undefined {
  if (status === null || status.code === 0) return undefined;
  return { code: status.code, details: status.message, metadata: trailer };
}

function badPayloadType(type: number, trailer: grpc.Metadata): grpc.StatusObject | undefined {
  if (type === 0) return undefined;
  return { code: grpc.status.INVALID_ARGUMENT, details: `unsupported response_type ${type}`, metadata: trailer };
}

/** Writes the responses one request asks for; returns the status to end with instead, if it asks for one. */
async function respondTo(call: OutputStream, request: JsStreamingOutputCallRequest, trailer: grpc.Metadata): Promise<grpc.StatusObject | undefined> {
  const status = statusFor(request.response_status, trailer) ?? badPayloadType(request.response_type, trailer);
  if (status !== undefined) return status;
  for (const params of request.response_parameters) {
    if (params.interval_us > 0) await sleep(params.interval_us / 1000);
    if (call.cancelled) return undefined;
    call.write({ payload: { type: 0, body: Buffer.alloc(params.size) } });
  }
  return undefined;
}

/** Ends a streaming call with `status`, or OK with the echo trailer. */
function finish(call: OutputStream, status: grpc.StatusObject | undefined, trailer: grpc.Metadata): void {
  if (call.cancelled) return;
  if (status !== undefined) call.emit("error", status);
  else call.end(trailer);
}

const handlers = {
  emptyCall(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) {
    echoHeader(call);
    callback(null, {}, echoTrailer(call));
  },

  unaryCall(call: grpc.ServerUnaryCall<JsSimpleRequest, JsSimpleResponse>, callback: grpc.sendUnaryData<JsSimpleResponse>) {
    echoHeader(call);
    const trailer = echoTrailer(call);
    const request = call.request;
    const status = statusFor(request.response_status, trailer) ?? badPayloadType(request.response_type, trailer);
    if (status !== undefined) {
      callback(status);
      return;
    }
    callback(null, { payload: { type: 0, body: Buffer.alloc(request.response_size) } }, trailer);
  },

  cacheableUnaryCall(call: grpc.ServerUnaryCall<JsSimpleRequest, JsSimpleResponse>, callback: grpc.sendUnaryData<JsSimpleResponse>) {
    const md = new grpc.Metadata();
    md.set("cache-control", "max-age=60, public");
    for (const v of call.metadata.get(echoInitialKey)) md.add(echoInitialKey, v);
    call.sendMetadata(md);
    callback(null, { payload: { type: 0, body: Buffer.from(process.hrtime.bigint().toString()) } }, echoTrailer(call));
  },

  streamingOutputCall(call: grpc.ServerWritableStream<JsStreamingOutputCallRequest, JsStreamingOutputCallResponse>) {
    echoHeader(call);
    const trailer = echoTrailer(call);
    respondTo(call, call.request, trailer).then((status) => finish(call, status, trailer));
  },

  streamingInputCall(
    call: grpc.ServerReadableStream<JsStreamingInputCallRequest, JsStreamingInputCallResponse>,
    callback: grpc.sendUnaryData<JsStreamingInputCallResponse>,
  ) {
    echoHeader(call);
    let size = 0;
    call.on("data", (request: JsStreamingInputCallRequest) => {
      size += request.payload?.body.length ?? 0;
    });
    call.on("end", () => callback(null, { aggregated_payload_size: size }, echoTrailer(call)));
    call.on("error", () => {});
  },

  fullDuplexCall(call: grpc.ServerDuplexStream<JsStreamingOutputCallRequest, JsStreamingOutputCallResponse>) {
    echoHeader(call);
    const trailer = echoTrailer(call);
    let chain = Promise.resolve<grpc.StatusObject | undefined>(undefined);
    call.on("data", (request: JsStreamingOutputCallRequest) => {
      chain = chain.then((status) => status ?? respondTo(call, request, trailer));
    });
    call.on("end", () => chain.then((status) => finish(call, status, trailer)));
  },

  halfDuplexCall(call: grpc.ServerDuplexStream<JsStreamingOutputCallRequest, JsStreamingOutputCallResponse>) {
    echoHeader(call);
    const trailer = echoTrailer(call);
    const buffered: JsStreamingOutputCallRequest[] = [];
    call.on("data", (request: JsStreamingOutputCallRequest) => buffered.push(request));
    call.on("end", async () => {
      for (const request of buffered) {
        const status = await respondTo(call, request, trailer);
        if (status !== undefined) return finish(call, status, trailer);
      }
      finish(call, undefined, trailer);
    });
  },
};

/** A running grpc-js interop server. */
export interface GrpcJsServer {
  /** "127.0.0.1:43567" */
  readonly address: string;
  close(): Promise<void>;
}

/** A server certificate and key (PEM) for a grpc-js server over TLS. */
export interface GrpcJsServerTls {
  cert: Buffer;
  key: Buffer;
}

/** Starts the grpc-js interop server on 127.0.0.1 and a free port, over TLS when `tls` is given. */
export function startGrpcJsServer(tls?: GrpcJsServerTls): Promise<GrpcJsServer> {
  const credentials =
    tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }]);
  const server = new grpc.Server();
  server.addService(grpcTesting.TestService.service, handlers as unknown as grpc.UntypedServiceImplementation);
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", credentials, (err, port) => {
      if (err !== null) {
        reject(err);
        return;
      }
      resolve({
        address: `127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => server.forceShutdown(), 2_000);
            server.tryShutdown(() => {
              clearTimeout(timer);
              done();
            });
          }),
      });
    });
  });
}
