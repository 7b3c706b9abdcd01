/**
 * The gRPC interop test client cases (doc/interop-test-descriptions.md, "Client"),
 * each a function that runs one case on a grpckit TestService client and throws a
 * {@link CaseFailure} naming the assertion that failed.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  createChannel,
  createClient,
  GrpcError,
  Metadata,
  sendUncompressed,
  wasCompressed,
  type Channel,
  type Client,
  type TransportBuilder,
} from "@grpckit/core";
import { tlsChannelCredentials } from "@grpckit/credentials-tls";
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
  testCaseNames,
  testStatusCode,
  testStatusMessage,
  zeros,
  type TestCaseName,
} from "./case-parameters.js";
import { CaseFailure, runCase, type CaseChecks, type EndStatus } from "./case-checks.js";
import type {
  SimpleRequestSchema,
  StreamingInputCallRequestSchema,
  StreamingOutputCallRequestSchema,
  StreamingOutputCallResponse,
} from "./gen/grpc/testing/messages_pb.js";
import { TestService, UnimplementedService } from "./gen/grpc/testing/test_pb.js";
import { RequestStream } from "./request-stream.js";
import { readPem } from "./test-certificates.js";
import { transportFor } from "@grpckit/transport-choice";

/** A grpckit client of grpc.testing.TestService. */
export type TestServiceClient = Client<typeof TestService>;

/**
 * Server features a case may rely on (the "Server features" of the interop
 * description). All are assumed; a server known to lack one sets it false, and the
 * cases then skip the assertions only that feature can satisfy.
 */
export interface ServerFeatures {
  /** CompressedRequest: a request whose expect_compressed does not match how it arrived fails with INVALID_ARGUMENT. */
  compressedRequest?: boolean;
  /** CompressedResponse: responses are sent compressed when response_compressed / compressed ask for it. */
  compressedResponse?: boolean;
}

/** What a case gets besides the TestService client. */
export interface CaseOptions {
  /** The channel the client runs on; unimplemented_service makes its client on it. */
  channel: Channel;
  serverFeatures?: ServerFeatures;
}

/** One interop test case. Resolves when it passed; rejects with a CaseFailure when it did not. */
export type InteropCase = (client: TestServiceClient, options: CaseOptions) => Promise<void>;

type SimpleRequestInit = MessageInitShape<typeof SimpleRequestSchema>;
type InputRequestInit = MessageInitShape<typeof StreamingInputCallRequestSchema>;
type OutputRequestInit = MessageInitShape<typeof StreamingOutputCallRequestSchema>;

/** The status a call ended with; undefined when it succeeded. Errors other than a GrpcError propagate. */
async function endStatus(call: Promise<unknown>): Promise<EndStatus | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    if (err instanceof GrpcError) return { code: err.code, message: err.rawMessage };
    throw err;
  }
}

/** Reads a response stream to its end and returns the status it ended with. */
async function streamEndStatus(responses: AsyncIterable<unknown>): Promise<EndStatus | undefined> {
  return endStatus(
    (async () => {
      for await (const _ of responses);
    })(),
  );
}

/** An AsyncIterable of `items`: the request stream of a call whose requests are known up front. */
async function* requestsOf<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

function checkBody(check: CaseChecks, what: string, body: Uint8Array | undefined, size: number): void {
  check.equal(`${what} length`, body?.length, size);
  check.ok(body !== undefined && isAllZeros(body), `${what} is not all zeros`);
}

/** The fields the large unary requests of different cases add. */
interface LargeRequestFields {
  expectCompressed?: { value: boolean };
  responseCompressed?: { value: boolean };
}

function largeRequest(fields: LargeRequestFields = {}): SimpleRequestInit {
  return { responseSize: largeResponseSize, payload: { body: zeros(largeRequestSize) }, ...fields };
}

function echoMetadata(): Metadata {
  return new Metadata({ [echoInitialKey]: echoInitialValue, [echoTrailingKey]: echoTrailingValue });
}

function checkEcho(check: CaseChecks, call: string, header: Metadata | undefined, trailer: Metadata | undefined): void {
  const initial = header?.get(echoInitialKey);
  check.equal(`${call} initial metadata ${echoInitialKey}`, initial, echoInitialValue);
  const trailing = trailer?.get(echoTrailingKey);
  const ok = trailing instanceof Uint8Array && bytesEqual(trailing, echoTrailingValue);
  if (!ok) {
    const got = trailing === undefined ? "nothing" : trailing instanceof Uint8Array ? `0x${hex(trailing)}` : JSON.stringify(trailing);
    check.fail(`${call} trailing metadata ${echoTrailingKey} ${got} != expected 0x${hex(echoTrailingValue)}`);
  }
}

/** Collects a response stream, failing as soon as it has more than `max` responses. */
async function collect(check: CaseChecks, what: string, responses: AsyncIterable<StreamingOutputCallResponse>, max: number): Promise<StreamingOutputCallResponse[]> {
  const out: StreamingOutputCallResponse[] = [];
  for await (const r of responses) {
    out.push(r);
    if (out.length > max) check.fail(`${what} sent more than ${max} responses`);
  }
  return out;
}

function emptyUnary(client: TestServiceClient): Promise<void> {
  return runCase("empty_unary", async (check) => {
    const response = await check.succeeds("EmptyCall", client.emptyCall({}));
    check.ok(response !== undefined && response !== null, "EmptyCall returned no response");
  });
}

function largeUnary(client: TestServiceClient): Promise<void> {
  return runCase("large_unary", async (check) => {
    const response = await check.succeeds("UnaryCall", client.unaryCall(largeRequest()));
    checkBody(check, "response payload", response.payload?.body, largeResponseSize);
  });
}

function clientStreaming(client: TestServiceClient): Promise<void> {
  return runCase("client_streaming", async (check) => {
    const requests = streamingRequestSizes.map((size): InputRequestInit => ({ payload: { body: zeros(size) } }));
    const response = await check.succeeds("StreamingInputCall", client.streamingInputCall(requestsOf(requests)));
    check.equal("aggregated_payload_size", response.aggregatedPayloadSize, streamingAggregateSize);
  });
}

function serverStreaming(client: TestServiceClient): Promise<void> {
  return runCase("server_streaming", async (check) => {
    const request: OutputRequestInit = { responseParameters: streamingResponseSizes.map((size) => ({ size })) };
    const responses = await check.succeeds(
      "StreamingOutputCall",
      collect(check, "StreamingOutputCall", client.streamingOutputCall(request), streamingResponseSizes.length),
    );
    check.equal("response count", responses.length, streamingResponseSizes.length);
    responses.forEach((r, i) => checkBody(check, `response ${i} payload`, r.payload?.body, streamingResponseSizes[i]));
  });
}

function pingPong(client: TestServiceClient): Promise<void> {
  return runCase("ping_pong", async (check) => {
    const requests = new RequestStream<OutputRequestInit>();
    const responses = client.fullDuplexCall(requests)[Symbol.asyncIterator]();
    try {
      for (let i = 0; i < streamingRequestSizes.length; i++) {
        requests.write({ responseParameters: [{ size: streamingResponseSizes[i] }], payload: { body: zeros(streamingRequestSizes[i]) } });
        const next = await check.succeeds(`FullDuplexCall reading response ${i}`, responses.next());
        check.ok(next.done !== true, `FullDuplexCall ended after ${i} responses, expected ${streamingResponseSizes.length}`);
        checkBody(check, `response ${i} payload`, next.value.payload?.body, streamingResponseSizes[i]);
      }
      requests.end();
      const last = await check.succeeds("FullDuplexCall after half-close", responses.next());
      check.ok(last.done === true, `FullDuplexCall sent more than ${streamingResponseSizes.length} responses`);
    } finally {
      requests.end();
      await responses.return?.();
    }
  });
}

function emptyStream(client: TestServiceClient): Promise<void> {
  return runCase("empty_stream", async (check) => {
    const responses = await check.succeeds("FullDuplexCall", collect(check, "FullDuplexCall", client.fullDuplexCall(requestsOf<OutputRequestInit>([])), 0));
    check.equal("response count", responses.length, 0);
  });
}

function customMetadata(client: TestServiceClient): Promise<void> {
  return runCase("custom_metadata", async (check) => {
    let header: Metadata | undefined;
    let trailer: Metadata | undefined;
    const callOptions = {
      onHeader: (md: Metadata) => (header = md),
      onTrailer: (md: Metadata) => (trailer = md),
    };
    const response = await check.succeeds("UnaryCall", client.unaryCall(largeRequest(), { ...callOptions, metadata: echoMetadata() }));
    checkBody(check, "UnaryCall response payload", response.payload?.body, largeResponseSize);
    checkEcho(check, "UnaryCall", header, trailer);

    header = trailer = undefined;
    const request: OutputRequestInit = { responseParameters: [{ size: largeResponseSize }], payload: { body: zeros(largeRequestSize) } };
    const responses = await check.succeeds(
      "FullDuplexCall",
      collect(check, "FullDuplexCall", client.fullDuplexCall(requestsOf([request]), { ...callOptions, metadata: echoMetadata() }), 1),
    );
    check.equal("FullDuplexCall response count", responses.length, 1);
    checkBody(check, "FullDuplexCall response payload", responses[0].payload?.body, largeResponseSize);
    checkEcho(check, "FullDuplexCall", header, trailer);
  });
}

function statusCodeAndMessage(client: TestServiceClient): Promise<void> {
  return runCase("status_code_and_message", async (check) => {
    const responseStatus = { code: testStatusCode, message: testStatusMessage };
    check.status("UnaryCall", await endStatus(client.unaryCall({ responseStatus })), Code.UNKNOWN, testStatusMessage);
    const duplex = await streamEndStatus(client.fullDuplexCall(requestsOf<OutputRequestInit>([{ responseStatus }])));
    check.status("FullDuplexCall", duplex, Code.UNKNOWN, testStatusMessage);
  });
}

function specialStatus(client: TestServiceClient): Promise<void> {
  return runCase("special_status_message", async (check) => {
    const responseStatus = { code: testStatusCode, message: specialStatusMessage };
    check.status("UnaryCall", await endStatus(client.unaryCall({ responseStatus })), Code.UNKNOWN, specialStatusMessage);
  });
}

function unimplementedMethod(client: TestServiceClient): Promise<void> {
  return runCase("unimplemented_method", async (check) => {
    check.status("TestService/UnimplementedCall", await endStatus(client.unimplementedCall({})), Code.UNIMPLEMENTED);
  });
}

function unimplementedService(_client: TestServiceClient, options: CaseOptions): Promise<void> {
  return runCase("unimplemented_service", async (check) => {
    const other = createClient(UnimplementedService, options.channel);
    check.status("UnimplementedService/UnimplementedCall", await endStatus(other.unimplementedCall({})), Code.UNIMPLEMENTED);
  });
}

function cancelAfterBegin(client: TestServiceClient): Promise<void> {
  return runCase("cancel_after_begin", async (check) => {
    const abort = new AbortController();
    const requests = new RequestStream<InputRequestInit>();
    const ended = endStatus(client.streamingInputCall(requests, { signal: abort.signal }));
    // One turn of the event loop lets the call start before it is cancelled.
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    requests.end();
    check.status("StreamingInputCall", await ended, Code.CANCELLED);
  });
}

function cancelAfterFirstResponse(client: TestServiceClient): Promise<void> {
  return runCase("cancel_after_first_response", async (check) => {
    const abort = new AbortController();
    const requests = new RequestStream<OutputRequestInit>();
    requests.write({ responseParameters: [{ size: cancelResponseSize }], payload: { body: zeros(cancelRequestSize) } });
    const responses = client.fullDuplexCall(requests, { signal: abort.signal })[Symbol.asyncIterator]();
    try {
      const first = await check.succeeds("FullDuplexCall reading the first response", responses.next());
      check.ok(first.done !== true, "FullDuplexCall ended before its first response");
      checkBody(check, "first response payload", first.value.payload?.body, cancelResponseSize);
      abort.abort();
      check.status("FullDuplexCall", await endStatus(responses.next()), Code.CANCELLED);
    } finally {
      requests.end();
      await responses.return?.();
    }
  });
}

function timeoutOnSleepingServer(client: TestServiceClient): Promise<void> {
  return runCase("timeout_on_sleeping_server", async (check) => {
    const requests = new RequestStream<OutputRequestInit>();
    requests.write({ payload: { body: zeros(sleepingServerRequestSize) } });
    try {
      const status = await streamEndStatus(client.fullDuplexCall(requests, { timeoutMs: sleepingServerTimeoutMs }));
      check.status("FullDuplexCall", status, Code.DEADLINE_EXCEEDED);
    } finally {
      requests.end();
    }
  });
}

function clientCompressedUnary(client: TestServiceClient, options: CaseOptions): Promise<void> {
  return runCase("client_compressed_unary", async (check) => {
    if (options.serverFeatures?.compressedRequest !== false) {
      const probe = await endStatus(client.unaryCall(largeRequest({ expectCompressed: { value: true } }), { compression: "identity" }));
      check.status("UnaryCall with an uncompressed request expecting compression (feature probe)", probe, Code.INVALID_ARGUMENT);
    }
    const compressed = await check.succeeds(
      "UnaryCall with a compressed request",
      client.unaryCall(largeRequest({ expectCompressed: { value: true } }), { compression: "gzip" }),
    );
    checkBody(check, "compressed request's response payload", compressed.payload?.body, largeResponseSize);
    const plain = await check.succeeds(
      "UnaryCall with an uncompressed request",
      client.unaryCall(largeRequest({ expectCompressed: { value: false } }), { compression: "identity" }),
    );
    checkBody(check, "uncompressed request's response payload", plain.payload?.body, largeResponseSize);
  });
}

function serverCompressedUnary(client: TestServiceClient, options: CaseOptions): Promise<void> {
  return runCase("server_compressed_unary", async (check) => {
    for (const compress of [true, false]) {
      const what = `UnaryCall with response_compressed ${compress}`;
      const response = await check.succeeds(what, client.unaryCall(largeRequest({ responseCompressed: { value: compress } })));
      checkBody(check, `${what}: response payload`, response.payload?.body, largeResponseSize);
      if (compress && options.serverFeatures?.compressedResponse !== false) {
        check.ok(wasCompressed(response), `${what}: response arrived without the compressed flag`);
      }
      if (!compress) check.ok(!wasCompressed(response), `${what}: response arrived with the compressed flag set`);
    }
  });
}

function clientCompressedStreaming(client: TestServiceClient, options: CaseOptions): Promise<void> {
  return runCase("client_compressed_streaming", async (check) => {
    const [compressedSize, plainSize] = compressedStreamingRequestSizes;
    if (options.serverFeatures?.compressedRequest !== false) {
      const probeRequest: InputRequestInit = { expectCompressed: { value: true }, payload: { body: zeros(compressedSize) } };
      const probe = await endStatus(client.streamingInputCall(requestsOf([probeRequest]), { compression: "identity" }));
      check.status("StreamingInputCall with an uncompressed message expecting compression (feature probe)", probe, Code.INVALID_ARGUMENT);
    }
    const requests: InputRequestInit[] = [
      { expectCompressed: { value: true }, payload: { body: zeros(compressedSize) } },
      sendUncompressed({ expectCompressed: { value: false }, payload: { body: zeros(plainSize) } }),
    ];
    const response = await check.succeeds(
      "StreamingInputCall with a compressed then an uncompressed message",
      client.streamingInputCall(requestsOf(requests), { compression: "gzip" }),
    );
    check.equal("aggregated_payload_size", response.aggregatedPayloadSize, compressedStreamingAggregateSize);
  });
}

function serverCompressedStreaming(client: TestServiceClient, options: CaseOptions): Promise<void> {
  return runCase("server_compressed_streaming", async (check) => {
    const [compressedSize, plainSize] = compressedStreamingResponseSizes;
    const request: OutputRequestInit = {
      responseParameters: [
        { compressed: { value: true }, size: compressedSize },
        { compressed: { value: false }, size: plainSize },
      ],
    };
    const responses = await check.succeeds("StreamingOutputCall", collect(check, "StreamingOutputCall", client.streamingOutputCall(request), 2));
    check.equal("response count", responses.length, 2);
    checkBody(check, "response 0 payload", responses[0].payload?.body, compressedSize);
    checkBody(check, "response 1 payload", responses[1].payload?.body, plainSize);
    if (options.serverFeatures?.compressedResponse !== false) {
      check.ok(wasCompressed(responses[0]), "response 0 (compressed true) arrived without the compressed flag");
    }
    check.ok(!wasCompressed(responses[1]), "response 1 (compressed false) arrived with the compressed flag set");
  });
}

/** Every client test case by name. */
export const interopCases: Readonly<Record<TestCaseName, InteropCase>> = {
  empty_unary: emptyUnary,
  large_unary: largeUnary,
  client_streaming: clientStreaming,
  server_streaming: serverStreaming,
  ping_pong: pingPong,
  empty_stream: emptyStream,
  custom_metadata: customMetadata,
  status_code_and_message: statusCodeAndMessage,
  special_status_message: specialStatus,
  unimplemented_method: unimplementedMethod,
  unimplemented_service: unimplementedService,
  cancel_after_begin: cancelAfterBegin,
  cancel_after_first_response: cancelAfterFirstResponse,
  timeout_on_sleeping_server: timeoutOnSleepingServer,
  client_compressed_unary: clientCompressedUnary,
  server_compressed_unary: serverCompressedUnary,
  client_compressed_streaming: clientCompressedStreaming,
  server_compressed_streaming: serverCompressedStreaming,
};

/** The outcome of one case. */
export interface CaseResult {
  testCase: TestCaseName;
  /** Undefined when the case passed. */
  failure: CaseFailure | undefined;
}

/** Options of {@link runInteropClient}. */
export interface InteropClientOptions {
  /** The server, as a channel target: "localhost:8080", "127.0.0.1:43567". */
  target: string;
  /** Cases to run, in order; every case by default. */
  testCases?: readonly TestCaseName[];
  /** The transport; @grpckit/transport-choice's default when omitted. */
  transport?: TransportBuilder;
  /** Connect over TLS; plaintext by default. */
  useTls?: boolean;
  /** Under TLS, the CA file (PEM) that verifies the server; the system roots when omitted. */
  caFile?: string;
  /** Under TLS, the name checked against the server certificate instead of the target's host. */
  serverHostOverride?: string;
  serverFeatures?: ServerFeatures;
  /** Called after each case, in order. */
  onResult?: (result: CaseResult) => void;
}

/** Runs interop cases one after another on one channel and returns every result. */
export async function runInteropClient(options: InteropClientOptions): Promise<CaseResult[]> {
  const credentials =
    options.useTls === true
      ? tlsChannelCredentials({
          ca: options.caFile === undefined ? undefined : readPem(options.caFile),
          serverNameOverride: options.serverHostOverride,
        })
      : undefined;
  const channel = createChannel(options.target, { transport: options.transport ?? transportFor(), credentials });
  const client = createClient(TestService, channel);
  const results: CaseResult[] = [];
  try {
    for (const testCase of options.testCases ?? testCaseNames) {
      let failure: CaseFailure | undefined;
      try {
        await interopCases[testCase](client, { channel, serverFeatures: options.serverFeatures });
      } catch (err) {
        failure = err instanceof CaseFailure ? err : new CaseFailure(testCase, String(err), { cause: err });
      }
      const result = { testCase, failure };
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    channel.close();
  }
  return results;
}
