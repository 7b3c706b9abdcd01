/**
 * The bench service for @grpc/grpc-js, loaded from the same .proto file with
 * @grpc/proto-loader, as a grpc-js user would load it.
 */
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

/** The bench messages as proto-loader decodes them (bytes as Buffer). */
export interface GrpcJsEchoMessage {
  payload: Buffer;
}

/** The server-streaming request as proto-loader decodes it. */
export interface GrpcJsServerStreamRequest {
  payload: Buffer;
  count: number;
}

/** The client-streaming answer, its uint64 fields as strings (proto-loader's `longs: String`). */
export interface GrpcJsCountResponse {
  messages: string;
  payloadBytes: string;
}

/** The generated-at-runtime client constructor and service definition. */
export interface GrpcJsEchoService {
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions): GrpcJsEchoClient;
  service: grpc.ServiceDefinition;
}

/** The client methods grpc-js makes for bench.v1.EchoService. */
export interface GrpcJsEchoClient extends grpc.Client {
  echo(
    request: GrpcJsEchoMessage,
    callback: (error: grpc.ServiceError | null, response?: GrpcJsEchoMessage) => void,
  ): grpc.ClientUnaryCall;
  echoStream(): grpc.ClientDuplexStream<GrpcJsEchoMessage, GrpcJsEchoMessage>;
  echoServerStream(request: GrpcJsServerStreamRequest): grpc.ClientReadableStream<GrpcJsEchoMessage>;
  countStream(
    callback: (error: grpc.ServiceError | null, response?: GrpcJsCountResponse) => void,
  ): grpc.ClientWritableStream<GrpcJsEchoMessage>;
}

const protoFile = fileURLToPath(new URL("../proto/bench/v1/echo.proto", import.meta.url));

/** Loads bench.v1.EchoService for grpc-js. */
export function loadGrpcJsEchoService(): GrpcJsEchoService {
  const definition = protoLoader.loadSync(protoFile, { longs: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    bench: { v1: { EchoService: GrpcJsEchoService } };
  };
  return loaded.bench.v1.EchoService;
}
