/**
 * The handlers the browser tests call: grpc.testing.TestService's UnaryCall, EmptyCall
 * and StreamingOutputCall, written to show what a browser client can see: metadata read
 * and answered both ways, an error with google.rpc details, a call that only a deadline
 * ends, and a stream of sized messages.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, GrpcError, type ServiceImpl } from "@grpckit/core";
import { BadRequestSchema, ErrorInfoSchema } from "@grpckit/core/error-details";
import { TestService } from "../../src/gen/grpc/testing/test_pb.js";
import { echoHeader, echoTrailer, echoTrailerBin, greetingBinHeader, greetingHeader } from "./contract.js";

/** The details every failing call carries. */
export const badRequestFields = ["payload.body", "response_size"];
export const errorInfo = { reason: "NOT_READY", domain: "browser.grpckit.test" };

/** The longest EmptyCall waits for its deadline before giving up on its own. */
const emptyCallLimitMs = 10_000;

export function browserServiceHandlers(): ServiceImpl<typeof TestService> {
  return {
    unaryCall(request, ctx) {
      const greeting = ctx.metadata.get(greetingHeader);
      if (greeting !== undefined) ctx.responseHeader.set(echoHeader, `the handler read "${String(greeting)}"`);
      const bytes = ctx.metadata.get(greetingBinHeader);
      if (bytes instanceof Uint8Array) {
        ctx.responseTrailer.set(echoTrailer, "sent after the message");
        ctx.responseTrailer.set(echoTrailerBin, Uint8Array.from(bytes).reverse());
      }
      const status = request.responseStatus;
      if (status !== undefined && status.code !== 0) {
        throw new GrpcError(status.code as Code, status.message, {
          details: [
            anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: badRequestFields.map((field) => ({ field, description: "is wrong" })) })),
            anyPack(ErrorInfoSchema, create(ErrorInfoSchema, errorInfo)),
          ],
        });
      }
      return { payload: { body: (request.payload?.body ?? new Uint8Array()).map((b) => b + 1) } };
    },

    async emptyCall(_request, ctx) {
      // Only the deadline (or the limit, so the handler ends by itself) stops this call.
      await sleep(emptyCallLimitMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      throw new GrpcError(Code.INTERNAL, "EmptyCall outlived its wait; the deadline never came");
    },

    async *streamingOutputCall(request) {
      for (const { size } of request.responseParameters) yield { payload: { body: new Uint8Array(size).fill(7) } };
    },
  };
}
