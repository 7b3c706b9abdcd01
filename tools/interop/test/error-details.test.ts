/**
 * Rich error details with the schemas @grpckit/core/error-details ships: a grpckit
 * handler throws a GrpcError carrying a BadRequest packed in Any, and both a
 * @grpc/grpc-js client (reading grpc-status-details-bin itself) and a grpckit client
 * (findDetails) decode it, on both transports.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack, anyUnpack, durationFromMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, createServer, type Channel, type Server, type TransportBuilder } from "@grpckit/core";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema, StatusSchema } from "@grpckit/core/error-details";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { SimpleRequestSchema, SimpleResponseSchema } from "../src/gen/grpc/testing/messages_pb.js";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";

const open: { servers: Server[]; channels: Channel[]; clients: grpc.Client[] } = { servers: [], channels: [], clients: [] };
afterEach(() => {
  for (const c of open.clients.splice(0)) c.close();
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

const badRequest = create(BadRequestSchema, {
  fieldViolations: [
    { field: "payload.body", description: "must not be empty", reason: "EMPTY_BODY" },
    { field: "response_size", description: "must be at most 1024" },
  ],
});

/** A grpckit server whose UnaryCall fails with INVALID_ARGUMENT and three details. */
async function serve(transport: TransportBuilder): Promise<number> {
  const server = createServer({ transport });
  server.addService(TestService, {
    unaryCall() {
      throw new GrpcError(Code.INVALID_ARGUMENT, "the request has invalid fields", {
        details: [
          anyPack(BadRequestSchema, badRequest),
          anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "INVALID_SIZE", domain: "grpckit.test", metadata: { limit: "1024" } })),
          anyPack(RetryInfoSchema, create(RetryInfoSchema, { retryDelay: durationFromMs(1500) })),
        ],
      });
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  return port!;
}

describe.each([
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
] as const)("rich error details from a grpckit server on %s", (_name, transport) => {
  it("a grpc-js client reads grpc-status-details-bin and unpacks the BadRequest with the shipped schema", async () => {
    const port = await serve(transport());
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    open.clients.push(client);
    const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
      client.makeUnaryRequest(
        "/grpc.testing.TestService/UnaryCall",
        (req: Uint8Array) => Buffer.from(req),
        (bytes: Buffer) => fromBinary(SimpleResponseSchema, bytes),
        toBinary(SimpleRequestSchema, create(SimpleRequestSchema, { responseSize: 99_999 })),
        { deadline: Date.now() + 5000 },
        (e) => (e === null ? reject(new Error("the call succeeded")) : resolve(e)),
      );
    });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("the request has invalid fields");
    const [bin] = err.metadata.get("grpc-status-details-bin") as Buffer[];
    expect(bin).toBeInstanceOf(Buffer);
    const status = fromBinary(StatusSchema, bin!);
    expect(status.code).toBe(Code.INVALID_ARGUMENT);
    expect(status.message).toBe("the request has invalid fields");
    expect(status.details.map((d) => d.typeUrl)).toEqual([
      "type.googleapis.com/google.rpc.BadRequest",
      "type.googleapis.com/google.rpc.ErrorInfo",
      "type.googleapis.com/google.rpc.RetryInfo",
    ]);
    const bad = anyUnpack(status.details[0]!, BadRequestSchema);
    expect(bad?.fieldViolations.map((v) => [v.field, v.description, v.reason])).toEqual([
      ["payload.body", "must not be empty", "EMPTY_BODY"],
      ["response_size", "must be at most 1024", ""],
    ]);
    expect(anyUnpack(status.details[1]!, ErrorInfoSchema)?.metadata).toEqual({ limit: "1024" });
    expect(anyUnpack(status.details[2]!, RetryInfoSchema)?.retryDelay?.seconds).toBe(1n);
  });

  it("a grpckit client finds the details by schema", async () => {
    const port = await serve(transport());
    const channel = createChannel(`127.0.0.1:${port}`, { transport: transport() });
    open.channels.push(channel);
    const err = await createClient(TestService, channel)
      .unaryCall({ responseSize: 99_999 }, { timeoutMs: 5000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(GrpcError);
    const grpcError = err as GrpcError;
    expect(grpcError.code).toBe(Code.INVALID_ARGUMENT);
    expect(grpcError.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["payload.body", "response_size"]);
    expect(grpcError.findDetails(ErrorInfoSchema)[0]?.reason).toBe("INVALID_SIZE");
    expect(grpcError.findDetails(RetryInfoSchema)[0]?.retryDelay?.nanos).toBe(500_000_000);
  });
});
