/**
 * The gRPC interop test server: grpc.testing.TestService as
 * doc/interop-test-descriptions.md specifies it (the "Server" section), on grpckit.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  createServer,
  GrpcError,
  sendUncompressed,
  wasCompressed,
  type HandlerContext,
  type ServiceImpl,
  type TransportBuilder,
} from "@grpckit/core";
import { tlsServerCredentials } from "@grpckit/credentials-tls";
import { echoInitialKey, echoTrailingKey, zeros } from "./case-parameters.js";
import {
  PayloadType,
  type BoolValue,
  type EchoStatus,
  type ResponseParameters,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponseSchema,
} from "./gen/grpc/testing/messages_pb.js";
import { TestService } from "./gen/grpc/testing/test_pb.js";
import { readPem, testServerCertFile, testServerKeyFile } from "./test-certificates.js";
import { transportFor } from "@grpckit/transport-choice";

/** Copies the echo metadata of the request: `x-grpc-test-echo-initial` to the headers, `x-grpc-test-echo-trailing-bin` to the trailers. */
function echoMetadata(ctx: HandlerContext): void {
  const initial = ctx.metadata.getAll(echoInitialKey);
  for (const v of initial) ctx.responseHeader.add(echoInitialKey, v);
  const trailing = ctx.metadata.getAll(echoTrailingKey);
  for (const v of trailing) ctx.responseTrailer.add(echoTrailingKey, v);
}

/** Ends the call with the status a request asks for (Echo Status); code 0 asks for nothing. */
function throwEchoStatus(status: EchoStatus | undefined): void {
  if (status !== undefined && status.code !== 0) throw new GrpcError(status.code as Code, status.message);
}

/** Fails with INVALID_ARGUMENT when a request's expect_compressed does not match how it arrived (CompressedRequest). */
function checkCompression(expect: BoolValue | undefined, request: object): void {
  if (expect === undefined) return;
  const compressed = wasCompressed(request);
  if (expect.value && !compressed) throw new GrpcError(Code.INVALID_ARGUMENT, "expected a compressed request, got an uncompressed one");
  if (!expect.value && compressed) throw new GrpcError(Code.INVALID_ARGUMENT, "expected an uncompressed request, got a compressed one");
}

function checkPayloadType(type: PayloadType): void {
  if (type !== PayloadType.COMPRESSABLE) throw new GrpcError(Code.INVALID_ARGUMENT, `unsupported response_type ${type}`);
}

type StreamedResponse = MessageInitShape<typeof StreamingOutputCallResponseSchema>;

/** One streamed response as `params` asks: its size, after its interval, compressed only when asked. */
async function streamedResponse(params: ResponseParameters, ctx: HandlerContext): Promise<StreamedResponse> {
  if (params.intervalUs > 0) await sleep(params.intervalUs / 1000, undefined, { signal: ctx.signal });
  const response: StreamedResponse = { payload: { type: PayloadType.COMPRESSABLE, body: zeros(params.size) } };
  return params.compressed?.value === true ? response : sendUncompressed(response);
}

async function* respondToEach(request: StreamingOutputCallRequest, ctx: HandlerContext): AsyncGenerator<StreamedResponse> {
  throwEchoStatus(request.responseStatus);
  checkPayloadType(request.responseType);
  for (const params of request.responseParameters) yield await streamedResponse(params, ctx);
}

/**
 * The handlers of grpc.testing.TestService. Streaming methods turn gzip on for the
 * call up front and send each response uncompressed unless its parameters ask for
 * compression, so any mix of compressed and plain responses can be asked for.
 */
export function testServiceHandlers(): ServiceImpl<typeof TestService> {
  return {
    emptyCall(_request, ctx) {
      echoMetadata(ctx);
      return {};
    },

    unaryCall(request, ctx) {
      echoMetadata(ctx);
      checkCompression(request.expectCompressed, request);
      throwEchoStatus(request.responseStatus);
      checkPayloadType(request.responseType);
      const response = { payload: { type: PayloadType.COMPRESSABLE, body: zeros(request.responseSize) } };
      if (request.responseCompressed?.value === true) {
        ctx.setCompression("gzip");
        return response;
      }
      return sendUncompressed(response);
    },

    cacheableUnaryCall(_request, ctx) {
      echoMetadata(ctx);
      ctx.responseHeader.set("cache-control", "max-age=60, public");
      const now = new TextEncoder().encode(process.hrtime.bigint().toString());
      return { payload: { type: PayloadType.COMPRESSABLE, body: now } };
    },

    async *streamingOutputCall(request, ctx) {
      echoMetadata(ctx);
      ctx.setCompression("gzip");
      yield* respondToEach(request, ctx);
    },

    async streamingInputCall(requests, ctx) {
      echoMetadata(ctx);
      let size = 0;
      for await (const request of requests) {
        checkCompression(request.expectCompressed, request);
        size += request.payload?.body.length ?? 0;
      }
      return { aggregatedPayloadSize: size };
    },

    async *fullDuplexCall(requests, ctx) {
      echoMetadata(ctx);
      ctx.setCompression("gzip");
      for await (const request of requests) yield* respondToEach(request, ctx);
    },

    async *halfDuplexCall(requests, ctx) {
      echoMetadata(ctx);
      ctx.setCompression("gzip");
      const buffered: StreamingOutputCallRequest[] = [];
      for await (const request of requests) buffered.push(request);
      for (const request of buffered) yield* respondToEach(request, ctx);
    },
  };
}

/** Options of {@link startInteropServer}. */
export interface InteropServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind; "127.0.0.1" by default. */
  host?: string;
  /** Serve over TLS; plaintext by default. */
  useTls?: boolean;
  /** The server certificate file (PEM) under TLS; testdata/server1.pem by default. */
  tlsCertFile?: string;
  /** The server private key file (PEM) under TLS; testdata/server1.key by default. */
  tlsKeyFile?: string;
  /** The transport; @grpckit/transport-choice's default when omitted. */
  transport?: TransportBuilder;
}

/** A running interop server. */
export interface InteropServer {
  /** The bound address, "127.0.0.1:43567". */
  readonly address: string;
  readonly port: number;
  /** Stops the server: running calls get a moment to finish, then are cancelled. */
  close(): Promise<void>;
}

/** Milliseconds `close` lets running calls finish before cancelling them. */
const closeGraceMs = 2_000;

/**
 * Starts an interop server.
 *
 * ```ts
 * const server = await startInteropServer({ port: 0 });
 * // ... run clients against server.address ...
 * await server.close();
 * ```
 */
export async function startInteropServer(options: InteropServerOptions = {}): Promise<InteropServer> {
  const credentials =
    options.useTls === true
      ? tlsServerCredentials({ cert: readPem(options.tlsCertFile ?? testServerCertFile), key: readPem(options.tlsKeyFile ?? testServerKeyFile) })
      : undefined;
  const server = createServer({ transport: options.transport ?? transportFor(), credentials });
  server.addService(TestService, testServiceHandlers());
  const host = options.host ?? "127.0.0.1";
  const { address, port } = await server.listen(`${host.includes(":") ? `[${host}]` : host}:${options.port ?? 0}`);
  return {
    address,
    port: port ?? 0,
    async close() {
      const timer = setTimeout(() => server.forceShutdown(), closeGraceMs);
      try {
        await server.shutdown();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
