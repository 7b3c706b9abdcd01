/**
 * The cases run with the official grpc-web runtime, used as its generated code would use
 * it but without the generator: MethodDescriptors whose message classes wrap
 * @bufbuild/protobuf's toBinary and fromBinary.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { GrpcWebClientBase, MethodDescriptor, MethodType, type Metadata, type RpcError, type Status } from "grpc-web";
import { BadRequestSchema, ErrorInfoSchema, StatusSchema } from "@grpckit/core/error-details";
import {
  SimpleRequestSchema,
  SimpleResponseSchema,
  StreamingOutputCallRequestSchema,
  StreamingOutputCallResponseSchema,
} from "../../../src/gen/grpc/testing/messages_pb.js";
import { EmptySchema } from "../../../src/gen/grpc/testing/empty_pb.js";
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

type GrpcWebClient = Extract<PageClient, { name: "grpc-web" }>;

/** A message class as grpc-web's generated code has them: an instance serializes itself, the class deserializes. */
interface MessageClass<Desc extends DescMessage> {
  new (init?: MessageInitShape<Desc>): { readonly message: MessageShape<Desc>; serializeBinary(): Uint8Array };
  deserializeBinary(bytes: Uint8Array): { readonly message: MessageShape<Desc> };
}

function messageClass<Desc extends DescMessage>(schema: Desc): MessageClass<Desc> {
  return class {
    readonly message: MessageShape<Desc>;
    constructor(init?: MessageInitShape<Desc>) {
      this.message = create(schema, init);
    }
    serializeBinary(): Uint8Array {
      return toBinary(schema, this.message);
    }
    static deserializeBinary(bytes: Uint8Array) {
      return { message: fromBinary(schema, bytes) };
    }
  };
}

const SimpleRequest = messageClass(SimpleRequestSchema);
const SimpleResponse = messageClass(SimpleResponseSchema);
const StreamingRequest = messageClass(StreamingOutputCallRequestSchema);
const StreamingResponse = messageClass(StreamingOutputCallResponseSchema);
const Empty = messageClass(EmptySchema);

type Instance<C> = C extends new (...args: never[]) => infer I ? I : never;
type Decoded<C> = C extends { deserializeBinary(bytes: Uint8Array): infer R } ? R : never;

function descriptor<Req extends MessageClass<DescMessage>, Res extends MessageClass<DescMessage>>(
  path: string,
  type: string,
  request: Req,
  response: Res,
): MethodDescriptor<Instance<Req>, Decoded<Res>> {
  return new MethodDescriptor(
    path,
    type,
    request as never,
    response as never,
    (r: Instance<Req>) => r.serializeBinary(),
    (bytes: Uint8Array) => response.deserializeBinary(bytes),
  );
}

const unaryCall = descriptor("/grpc.testing.TestService/UnaryCall", MethodType.UNARY, SimpleRequest, SimpleResponse);
const emptyCall = descriptor("/grpc.testing.TestService/EmptyCall", MethodType.UNARY, Empty, Empty);
const streamingOutputCall = descriptor("/grpc.testing.TestService/StreamingOutputCall", MethodType.SERVER_STREAMING, StreamingRequest, StreamingResponse);

/** What a unary call through rpcCall showed: its error or response, its headers, and its final status. */
interface UnaryResult<Res> {
  readonly error: RpcError | null;
  readonly response: Res | null;
  readonly headers: Metadata;
  readonly status: Status | undefined;
}

function bytesOfBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function base64OfBytes(bytes: number[]): string {
  return btoa(String.fromCharCode(...bytes));
}

export function grpcWebCases(baseUrl: string, client: GrpcWebClient): Cases {
  const base = new GrpcWebClientBase({ format: client.mode === "grpcwebtext" ? "text" : "binary" });

  /** Calls a unary method with the callback API, which alone shows headers and trailers; waits for the callback and the status. */
  function call<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, metadata: Metadata): Promise<UnaryResult<Res>> {
    return new Promise((resolve) => {
      let headers: Metadata = {};
      let status: Status | undefined;
      let done: { error: RpcError | null; response: Res | null } | undefined;
      const settle = () => {
        // An error may come without a status event; a success always has one.
        if (done !== undefined && (status !== undefined || done.error !== null)) resolve({ ...done, headers, status });
      };
      const stream = base.rpcCall(baseUrl + method.getName(), request, metadata, method, (error, response) => {
        done = { error, response };
        settle();
      });
      stream.on("metadata", (m) => (headers = m));
      stream.on("status", (s) => {
        status = s;
        settle();
      });
    });
  }

  async function failure<Req, Res>(method: MethodDescriptor<Req, Res>, request: Req, metadata: Metadata): Promise<RpcError> {
    const result = await call(method, request, metadata);
    if (result.error === null) throw new Error("the call succeeded; it should have failed");
    return result.error;
  }

  return {
    async unary() {
      const result = await call(unaryCall, new SimpleRequest({ payload: { body: new Uint8Array(unaryPayload) } }), {});
      if (result.error !== null) throw result.error;
      return { body: Array.from(result.response?.message.payload?.body ?? []) };
    },

    serverStreaming() {
      return new Promise((resolve, reject) => {
        const sizes: number[] = [];
        let code = -1;
        const stream = base.serverStreaming(
          baseUrl + streamingOutputCall.getName(),
          new StreamingRequest({ responseParameters: streamSizes.map((size) => ({ size })) }),
          {},
          streamingOutputCall,
        );
        stream.on("data", (r) => sizes.push(r.message.payload?.body.byteLength ?? -1));
        stream.on("status", (s) => (code = s.code));
        stream.on("error", reject);
        stream.on("end", () => resolve({ sizes, code }));
      });
    },

    async errorDetails() {
      const err = await failure(unaryCall, new SimpleRequest({ responseStatus: { code: errorCode, message: errorMessage } }), {});
      // grpc-web hands over the raw header; the details are a google.rpc.Status in base64.
      const bin = err.metadata["grpc-status-details-bin"];
      const status = bin === undefined ? undefined : fromBinary(StatusSchema, bytesOfBase64(bin));
      const badRequest = status?.details.map((d) => anyUnpack(d, BadRequestSchema)).find((m) => m !== undefined);
      const errorInfo = status?.details.map((d) => anyUnpack(d, ErrorInfoSchema)).find((m) => m !== undefined);
      return {
        code: err.code,
        message: err.message,
        badRequestFields: badRequest?.fieldViolations.map((v) => v.field) ?? [],
        errorInfoReason: errorInfo?.reason ?? "",
        errorInfoDomain: errorInfo?.domain ?? "",
      };
    },

    async deadline() {
      // The runtime's way to set a deadline: a "deadline" metadata entry, ms since the epoch.
      const err = await failure(emptyCall, new Empty(), { deadline: String(Date.now() + deadlineMs) });
      return { code: err.code };
    },

    async metadata() {
      const result = await call(unaryCall, new SimpleRequest(), {
        [greetingHeader]: greeting,
        [greetingBinHeader]: base64OfBytes(greetingBytes),
      });
      if (result.error !== null) throw result.error;
      const trailers = result.status?.metadata ?? {};
      const bin = trailers[echoTrailerBin];
      return {
        header: result.headers[echoHeader] ?? null,
        trailer: trailers[echoTrailer] ?? null,
        trailerBin: bin === undefined ? null : Array.from(bytesOfBase64(bin)),
      };
    },
  };
}
