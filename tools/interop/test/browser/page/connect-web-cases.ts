/** The cases run with @connectrpc/connect-web, over its gRPC-Web or its Connect transport. */
import { ConnectError, createClient, decodeBinaryHeader, encodeBinaryHeader, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { BadRequestSchema, ErrorInfoSchema } from "@grpckit/core/error-details";
import { TestService } from "../../../src/gen/grpc/testing/test_pb.js";
import {
  deadlineMs,
  echoHeader,
  echoTrailer,
  echoTrailerBin,
  errorCode,
  errorMessage,
  greeting,
  greetingBinHeader,
  greetingBytes,
  greetingHeader,
  streamSizes,
  unaryPayload,
  type PageClient,
} from "../contract.js";
import type { Cases } from "./cases.js";

type ConnectWebClient = Extract<PageClient, { name: "connect-web" }>;

function transportFor(baseUrl: string, client: ConnectWebClient): Transport {
  const options = { baseUrl, useBinaryFormat: client.binary };
  return client.protocol === "grpc-web" ? createGrpcWebTransport(options) : createConnectTransport(options);
}

/** The call's error as a ConnectError; throws when the call did not fail. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error("the call succeeded; it should have failed");
}

export function connectWebCases(baseUrl: string, client: ConnectWebClient): Cases {
  const service = createClient(TestService, transportFor(baseUrl, client));
  return {
    async unary() {
      const response = await service.unaryCall({ payload: { body: new Uint8Array(unaryPayload) } });
      return { body: Array.from(response.payload?.body ?? []) };
    },

    async serverStreaming() {
      const sizes: number[] = [];
      for await (const response of service.streamingOutputCall({ responseParameters: streamSizes.map((size) => ({ size })) })) {
        sizes.push(response.payload?.body.byteLength ?? -1);
      }
      // The loop ends without an error only on an OK status.
      return { sizes, code: 0 };
    },

    async errorDetails() {
      const err = await failure(service.unaryCall({ responseStatus: { code: errorCode, message: errorMessage } }));
      const [badRequest] = err.findDetails(BadRequestSchema);
      const [errorInfo] = err.findDetails(ErrorInfoSchema);
      return {
        code: err.code,
        message: err.rawMessage,
        badRequestFields: badRequest?.fieldViolations.map((v) => v.field) ?? [],
        errorInfoReason: errorInfo?.reason ?? "",
        errorInfoDomain: errorInfo?.domain ?? "",
      };
    },

    async deadline() {
      const err = await failure(service.emptyCall({}, { timeoutMs: deadlineMs }));
      return { code: err.code };
    },

    async metadata() {
      const headers = new Headers();
      headers.set(greetingHeader, greeting);
      headers.set(greetingBinHeader, encodeBinaryHeader(new Uint8Array(greetingBytes)));
      let header: Headers | undefined;
      let trailer: Headers | undefined;
      await service.unaryCall({}, { headers, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
      const bin = trailer?.get(echoTrailerBin) ?? null;
      return {
        header: header?.get(echoHeader) ?? null,
        trailer: trailer?.get(echoTrailer) ?? null,
        trailerBin: bin === null ? null : Array.from(decodeBinaryHeader(bin)),
      };
    },
  };
}
