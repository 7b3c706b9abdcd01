/**
 * The interop client cases on @grpc/grpc-js: every case makes real grpc-js calls
 * against the server under test, with the sizes and texts of src/case-parameters.ts
 * and the checks of src/case-checks.ts. A grpc-js client cannot see a response's
 * compressed flag, so server_compressed_unary and server_compressed_streaming check
 * sizes and contents only (the interop description allows this).
 */
import type { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { Code } from "@grpckit/core";
import {
  bytesEqual,
  cancelRequestSize,
  cancelResponseSize,
  compressedStreamingAggregateSize,
  compressedStreamingRequestSizes,
  compressedStreamingResponseSizes,
  echoInitialKey,
  echoInitialValue,
  echoTrailingKey,
  echoTrailingValue,
  hex,
  isAllZeros,
  largeRequestSize,
  largeResponseSize,
  sleepingServerRequestSize,
  sleepingServerTimeoutMs,
  specialStatusMessage,
  streamingAggregateSize,
  streamingRequestSizes,
  streamingResponseSizes,
  testStatusCode,
  testStatusMessage,
  type TestCaseName,
} from "../src/case-parameters.js";
import { runCase, type CaseChecks, type EndStatus } from "../src/case-checks.js";
import {
  grpcTesting,
  type JsSimpleResponse,
  type JsStreamingInputCallResponse,
  type JsStreamingOutputCallResponse,
} from "./grpc-js-proto.js";

/** grpc-js's WriteFlags.NoCompress: send this message uncompressed on a compressing call. */
const noCompress = 2;
/** grpc-js's compression algorithm number for gzip (grpc.default_compression_algorithm). */
const gzipAlgorithm = 2;

/** The grpc-js clients the cases use, all aimed at one server. */
export interface GrpcJsClients {
  /** TestService, uncompressed. */
  test: grpc.Client;
  /** TestService on a channel that compresses requests with gzip. */
  gzip: grpc.Client;
  unimplemented: grpc.Client;
  close(): void;
}

/** How grpc-js clients connect: plaintext unless TLS options are given. */
export interface GrpcJsClientTls {
  /** The CA (PEM) that verifies the server. */
  ca: Buffer;
  /** The name checked against the server certificate instead of the address's host. */
  serverHostOverride?: string;
}

/** Clients of the server at `address` ("127.0.0.1:43567"), over TLS when `tls` is given. */
export function createGrpcJsClients(address: string, tls?: GrpcJsClientTls): GrpcJsClients {
  const credentials = tls === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(tls.ca);
  const options: grpc.ChannelOptions =
    tls?.serverHostOverride === undefined ? {} : { "grpc.ssl_target_name_override": tls.serverHostOverride };
  const test = new grpcTesting.TestService(address, credentials, options);
  const gzip = new grpcTesting.TestService(address, credentials, { ...options, "grpc.default_compression_algorithm": gzipAlgorithm });
  const unimplemented = new grpcTesting.UnimplementedService(address, credentials, options);
  return {
    test,
    gzip,
    unimplemented,
    close() {
      test.close();
      gzip.close();
      unimplemented.close();
    },
  };
}

type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: unknown) => void) => grpc.ClientUnaryCall;
type StreamMethod = (metadata: grpc.Metadata, options: grpc.CallOptions) => grpc.ClientDuplexStream<object, unknown>;
type ServerStreamMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;
type ClientStreamMethod = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: unknown) => void,
) => grpc.ClientWritableStream<object>;

function method<T>(client: grpc.Client, name: string): T {
  return ((client as unknown as Record<string, Function>)[name]).bind(client) as T;
}

/** How a call ended: its status (undefined when OK), its messages, headers and trailers. */
interface Outcome<T> {
  status: EndStatus | undefined;
  responses: T[];
  header: grpc.Metadata | undefined;
  trailer: grpc.Metadata;
}

function endStatus(status: grpc.StatusObject): EndStatus | undefined {
  return status.code === grpc.status.OK ? undefined : { code: status.code, message: status.details };
}

/** Waits for the status of any grpc-js call, collecting what it received. */
function outcomeOf<T>(call: grpc.ClientUnaryCall | grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<object, T> | grpc.ClientWritableStream<object>, responses: T[] = []): Promise<Outcome<T>> {
  const events = call as unknown as EventEmitter;
  return new Promise((resolve) => {
    let header: grpc.Metadata | undefined;
    events.on("metadata", (md: grpc.Metadata) => (header = md));
    events.on("data", (r: T) => responses.push(r));
    events.on("error", () => {});
    events.on("status", (status: grpc.StatusObject) => resolve({ status: endStatus(status), responses, header, trailer: status.metadata }));
  });
}

function unary<T>(client: grpc.Client, name: string, request: object, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<Outcome<T>> {
  const responses: T[] = [];
  const call = method<UnaryMethod>(client, name)(request, metadata, options, (_err, response) => {
    if (response !== undefined) responses.push(response as T);
  });
  return outcomeOf(call, responses);
}

function clientStream<T>(client: grpc.Client, name: string, write: (call: grpc.ClientWritableStream<object>) => void, options: grpc.CallOptions = {}) {
  const responses: T[] = [];
  const call = method<ClientStreamMethod>(client, name)(new grpc.Metadata(), options, (_err, response) => {
    if (response !== undefined) responses.push(response as T);
  });
  const outcome = outcomeOf(call, responses);
  write(call);
  return { call, outcome };
}

function checkOk(check: CaseChecks, what: string, outcome: Outcome<unknown>): void {
  if (outcome.status !== undefined) check.fail(`${what} failed: ${outcome.status.code} ${outcome.status.message}`);
}

function checkBody(check: CaseChecks, what: string, body: Buffer | undefined, size: number): void {
  check.equal(`${what} length`, body?.length, size);
  check.ok(body !== undefined && isAllZeros(body), `${what} is not all zeros`);
}

function largeRequest(fields: object = {}): object {
  return { response_size: largeResponseSize, payload: { body: Buffer.alloc(largeRequestSize) }, ...fields };
}

function echoMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(echoInitialKey, echoInitialValue);
  md.set(echoTrailingKey, Buffer.from(echoTrailingValue));
  return md;
}

function checkEcho(check: CaseChecks, call: string, outcome: Outcome<unknown>): void {
  check.equal(`${call} initial metadata ${echoInitialKey}`, outcome.header?.get(echoInitialKey)[0], echoInitialValue);
  const trailing = outcome.trailer.get(echoTrailingKey)[0];
  if (!(Buffer.isBuffer(trailing) && bytesEqual(trailing, echoTrailingValue))) {
    const got = trailing === undefined ? "nothing" : Buffer.isBuffer(trailing) ? `0x${hex(trailing)}` : JSON.stringify(trailing);
    check.fail(`${call} trailing metadata ${echoTrailingKey} ${got} != expected 0x${hex(echoTrailingValue)}`);
  }
}

type GrpcJsCase = (clients: GrpcJsClients) => Promise<void>;

/** Every interop client case, made with grpc-js calls. */
export const grpcJsCases: Readonly<Record<TestCaseName, GrpcJsCase>> = {
  empty_unary: ({ test }) =>
    runCase("empty_unary", async (check) => {
      const outcome = await unary<object>(test, "emptyCall", {});
      checkOk(check, "EmptyCall", outcome);
      check.equal("response count", outcome.responses.length, 1);
    }),

  large_unary: ({ test }) =>
    runCase("large_unary", async (check) => {
      const outcome = await unary<JsSimpleResponse>(test, "unaryCall", largeRequest());
      checkOk(check, "UnaryCall", outcome);
      checkBody(check, "response payload", outcome.responses[0]?.payload?.body, largeResponseSize);
    }),

  client_streaming: ({ test }) =>
    runCase("client_streaming", async (check) => {
      const { outcome } = clientStream<JsStreamingInputCallResponse>(test, "streamingInputCall", (call) => {
        for (const size of streamingRequestSizes) call.write({ payload: { body: Buffer.alloc(size) } });
        call.end();
      });
      const result = await outcome;
      checkOk(check, "StreamingInputCall", result);
      check.equal("aggregated_payload_size", result.responses[0]?.aggregated_payload_size, streamingAggregateSize);
    }),

  server_streaming: ({ test }) =>
    runCase("server_streaming", async (check) => {
      const request = { response_parameters: streamingResponseSizes.map((size) => ({ size })) };
      const call = method<ServerStreamMethod>(test, "streamingOutputCall")(request, new grpc.Metadata(), {});
      const outcome = await outcomeOf<JsStreamingOutputCallResponse>(call as grpc.ClientReadableStream<JsStreamingOutputCallResponse>);
      checkOk(check, "StreamingOutputCall", outcome);
      check.equal("response count", outcome.responses.length, streamingResponseSizes.length);
      outcome.responses.forEach((r, i) => checkBody(check, `response ${i} payload`, r.payload?.body, streamingResponseSizes[i]));
    }),

  ping_pong: ({ test }) =>
    runCase("ping_pong", async (check) => {
      const call = method<StreamMethod>(test, "fullDuplexCall")(new grpc.Metadata(), {}) as grpc.ClientDuplexStream<object, JsStreamingOutputCallResponse>;
      const status = outcomeOf(call, []);
      const responses = call[Symbol.asyncIterator]() as AsyncIterator<JsStreamingOutputCallResponse>;
      try {
        for (let i = 0; i < streamingRequestSizes.length; i++) {
          call.write({ response_parameters: [{ size: streamingResponseSizes[i] }], payload: { body: Buffer.alloc(streamingRequestSizes[i]) } });
          const next = await check.succeeds(`FullDuplexCall reading response ${i}`, responses.next());
          check.ok(next.done !== true, `FullDuplexCall ended after ${i} responses, expected ${streamingResponseSizes.length}`);
          checkBody(check, `response ${i} payload`, next.value.payload?.body, streamingResponseSizes[i]);
        }
        call.end();
        const last = await check.succeeds("FullDuplexCall after half-close", responses.next());
        check.ok(last.done === true, `FullDuplexCall sent more than ${streamingResponseSizes.length} responses`);
        checkOk(check, "FullDuplexCall", await status);
      } finally {
        call.cancel();
      }
    }),

  empty_stream: ({ test }) =>
    runCase("empty_stream", async (check) => {
      const call = method<StreamMethod>(test, "fullDuplexCall")(new grpc.Metadata(), {});
      const outcome = outcomeOf(call);
      call.end();
      const result = await outcome;
      checkOk(check, "FullDuplexCall", result);
      check.equal("response count", result.responses.length, 0);
    }),

  custom_metadata: ({ test }) =>
    runCase("custom_metadata", async (check) => {
      const unaryOutcome = await unary<JsSimpleResponse>(test, "unaryCall", largeRequest(), echoMetadata());
      checkOk(check, "UnaryCall", unaryOutcome);
      checkBody(check, "UnaryCall response payload", unaryOutcome.responses[0]?.payload?.body, largeResponseSize);
      checkEcho(check, "UnaryCall", unaryOutcome);

      const call = method<StreamMethod>(test, "fullDuplexCall")(echoMetadata(), {});
      const outcome = outcomeOf<JsStreamingOutputCallResponse>(call as grpc.ClientDuplexStream<object, JsStreamingOutputCallResponse>);
      call.write({ response_parameters: [{ size: largeResponseSize }], payload: { body: Buffer.alloc(largeRequestSize) } });
      call.end();
      const duplexOutcome = await outcome;
      checkOk(check, "FullDuplexCall", duplexOutcome);
      check.equal("FullDuplexCall response count", duplexOutcome.responses.length, 1);
      checkBody(check, "FullDuplexCall response payload", duplexOutcome.responses[0].payload?.body, largeResponseSize);
      checkEcho(check, "FullDuplexCall", duplexOutcome);
    }),

  status_code_and_message: ({ test }) =>
    runCase("status_code_and_message", async (check) => {
      const response_status = { code: testStatusCode, message: testStatusMessage };
      check.status("UnaryCall", (await unary(test, "unaryCall", { response_status })).status, Code.UNKNOWN, testStatusMessage);
      const call = method<StreamMethod>(test, "fullDuplexCall")(new grpc.Metadata(), {});
      const outcome = outcomeOf(call);
      call.write({ response_status });
      call.end();
      check.status("FullDuplexCall", (await outcome).status, Code.UNKNOWN, testStatusMessage);
    }),

  special_status_message: ({ test }) =>
    runCase("special_status_message", async (check) => {
      const response_status = { code: testStatusCode, message: specialStatusMessage };
      check.status("UnaryCall", (await unary(test, "unaryCall", { response_status })).status, Code.UNKNOWN, specialStatusMessage);
    }),

  unimplemented_method: ({ test }) =>
    runCase("unimplemented_method", async (check) => {
      check.status("TestService/UnimplementedCall", (await unary(test, "unimplementedCall", {})).status, Code.UNIMPLEMENTED);
    }),

  unimplemented_service: ({ unimplemented }) =>
    runCase("unimplemented_service", async (check) => {
      check.status("UnimplementedService/UnimplementedCall", (await unary(unimplemented, "unimplementedCall", {})).status, Code.UNIMPLEMENTED);
    }),

  cancel_after_begin: ({ test }) =>
    runCase("cancel_after_begin", async (check) => {
      const { call, outcome } = clientStream(test, "streamingInputCall", () => {});
      // One turn of the event loop lets the call start before it is cancelled.
      await new Promise((resolve) => setImmediate(resolve));
      call.cancel();
      check.status("StreamingInputCall", (await outcome).status, Code.CANCELLED);
    }),

  cancel_after_first_response: ({ test }) =>
    runCase("cancel_after_first_response", async (check) => {
      const call = method<StreamMethod>(test, "fullDuplexCall")(new grpc.Metadata(), {}) as grpc.ClientDuplexStream<object, JsStreamingOutputCallResponse>;
      const firsts: JsStreamingOutputCallResponse[] = [];
      call.once("data", (r: JsStreamingOutputCallResponse) => {
        firsts.push(r);
        call.cancel();
      });
      const outcome = outcomeOf(call);
      call.write({ response_parameters: [{ size: cancelResponseSize }], payload: { body: Buffer.alloc(cancelRequestSize) } });
      const result = await outcome;
      check.equal("responses before the cancel", firsts.length, 1);
      checkBody(check, "first response payload", firsts[0].payload?.body, cancelResponseSize);
      check.status("FullDuplexCall", result.status, Code.CANCELLED);
    }),

  timeout_on_sleeping_server: ({ test }) =>
    runCase("timeout_on_sleeping_server", async (check) => {
      const call = method<StreamMethod>(test, "fullDuplexCall")(new grpc.Metadata(), { deadline: Date.now() + sleepingServerTimeoutMs });
      const outcome = outcomeOf(call);
      call.write({ payload: { body: Buffer.alloc(sleepingServerRequestSize) } });
      check.status("FullDuplexCall", (await outcome).status, Code.DEADLINE_EXCEEDED);
    }),

  client_compressed_unary: ({ test, gzip }) =>
    runCase("client_compressed_unary", async (check) => {
      const probe = await unary(test, "unaryCall", largeRequest({ expect_compressed: { value: true } }));
      check.status("UnaryCall with an uncompressed request expecting compression (feature probe)", probe.status, Code.INVALID_ARGUMENT);
      const compressed = await unary<JsSimpleResponse>(gzip, "unaryCall", largeRequest({ expect_compressed: { value: true } }));
      checkOk(check, "UnaryCall with a compressed request", compressed);
      checkBody(check, "compressed request's response payload", compressed.responses[0]?.payload?.body, largeResponseSize);
      const plain = await unary<JsSimpleResponse>(test, "unaryCall", largeRequest({ expect_compressed: { value: false } }));
      checkOk(check, "UnaryCall with an uncompressed request", plain);
      checkBody(check, "uncompressed request's response payload", plain.responses[0]?.payload?.body, largeResponseSize);
    }),

  server_compressed_unary: ({ test }) =>
    runCase("server_compressed_unary", async (check) => {
      for (const compress of [true, false]) {
        const what = `UnaryCall with response_compressed ${compress}`;
        const outcome = await unary<JsSimpleResponse>(test, "unaryCall", largeRequest({ response_compressed: { value: compress } }));
        checkOk(check, what, outcome);
        checkBody(check, `${what}: response payload`, outcome.responses[0]?.payload?.body, largeResponseSize);
      }
    }),

  client_compressed_streaming: ({ test, gzip }) =>
    runCase("client_compressed_streaming", async (check) => {
      const [compressedSize, plainSize] = compressedStreamingRequestSizes;
      const probe = clientStream(test, "streamingInputCall", (call) => {
        call.write({ expect_compressed: { value: true }, payload: { body: Buffer.alloc(compressedSize) } });
        call.end();
      });
      check.status("StreamingInputCall with an uncompressed message expecting compression (feature probe)", (await probe.outcome).status, Code.INVALID_ARGUMENT);
      const { outcome } = clientStream<JsStreamingInputCallResponse>(gzip, "streamingInputCall", (call) => {
        call.write({ expect_compressed: { value: true }, payload: { body: Buffer.alloc(compressedSize) } });
        (call.write as (chunk: object, flags: number) => boolean)({ expect_compressed: { value: false }, payload: { body: Buffer.alloc(plainSize) } }, noCompress);
        call.end();
      });
      const result = await outcome;
      checkOk(check, "StreamingInputCall with a compressed then an uncompressed message", result);
      check.equal("aggregated_payload_size", result.responses[0]?.aggregated_payload_size, compressedStreamingAggregateSize);
    }),

  server_compressed_streaming: ({ test }) =>
    runCase("server_compressed_streaming", async (check) => {
      const [compressedSize, plainSize] = compressedStreamingResponseSizes;
      const request = {
        response_parameters: [
          { compressed: { value: true }, size: compressedSize },
          { compressed: { value: false }, size: plainSize },
        ],
      };
      const call = method<ServerStreamMethod>(test, "streamingOutputCall")(request, new grpc.Metadata(), {});
      const outcome = await outcomeOf<JsStreamingOutputCallResponse>(call as grpc.ClientReadableStream<JsStreamingOutputCallResponse>);
      checkOk(check, "StreamingOutputCall", outcome);
      check.equal("response count", outcome.responses.length, 2);
      checkBody(check, "response 0 payload", outcome.responses[0].payload?.body, compressedSize);
      checkBody(check, "response 1 payload", outcome.responses[1].payload?.body, plainSize);
    }),
};
