/**
 * grpc.testing loaded for @grpc/grpc-js from this package's own .proto files with
 * @grpc/proto-loader: field names as in the .proto (snake_case), bytes as Buffer.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const protoDir = fileURLToPath(new URL("../proto", import.meta.url));

const definition = protoLoader.loadSync("grpc/testing/test.proto", {
  keepCase: true,
  longs: String,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [protoDir],
});

interface GrpcTesting {
  TestService: grpc.ServiceClientConstructor;
  UnimplementedService: grpc.ServiceClientConstructor;
}

/** The grpc.testing package: client constructors, and `.service` definitions for servers. */
export const grpcTesting = (grpc.loadPackageDefinition(definition) as unknown as { grpc: { testing: GrpcTesting } }).grpc.testing;

/** Payload as proto-loader shapes it. */
export interface JsPayload {
  type: number;
  body: Buffer;
}

export interface JsBoolValue {
  value: boolean;
}

export interface JsEchoStatus {
  code: number;
  message: string;
}

export interface JsSimpleRequest {
  response_type: number;
  response_size: number;
  payload: JsPayload | null;
  response_compressed: JsBoolValue | null;
  response_status: JsEchoStatus | null;
  expect_compressed: JsBoolValue | null;
}

export interface JsSimpleResponse {
  payload: JsPayload | null;
}

export interface JsStreamingInputCallRequest {
  payload: JsPayload | null;
  expect_compressed: JsBoolValue | null;
}

export interface JsStreamingInputCallResponse {
  aggregated_payload_size: number;
}

export interface JsResponseParameters {
  size: number;
  interval_us: number;
  compressed: JsBoolValue | null;
}

export interface JsStreamingOutputCallRequest {
  response_type: number;
  response_parameters: JsResponseParameters[];
  payload: JsPayload | null;
  response_status: JsEchoStatus | null;
}

export interface JsStreamingOutputCallResponse {
  payload: JsPayload | null;
}
