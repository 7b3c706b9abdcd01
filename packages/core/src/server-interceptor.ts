/**
 * Server interceptors wrap the handler of every call, outermost first:
 * `(next) => async (req) => { ...; const res = await next(req); ...; return res; }`.
 * A unary method's request and response carry one message; every other kind carries
 * AsyncIterables. Throwing a GrpcError ends the call with that status.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import type { HandlerContext } from "./handler-context.js";

export interface ServerUnaryRequest {
  readonly stream: false;
  readonly method: DescMethod;
  readonly context: HandlerContext;
  message: unknown;
}

export interface ServerStreamRequest {
  readonly stream: true;
  readonly method: DescMethod;
  readonly context: HandlerContext;
  message: AsyncIterable<unknown>;
}

export interface ServerUnaryResponse {
  readonly stream: false;
  message: unknown;
}

export interface ServerStreamResponse {
  readonly stream: true;
  message: AsyncIterable<unknown>;
}

export type ServerHandlerFn = (
  req: ServerUnaryRequest | ServerStreamRequest,
) => Promise<ServerUnaryResponse | ServerStreamResponse>;

/** A server interceptor: wraps `next` and returns the function to call instead. */
export type ServerInterceptor = (next: ServerHandlerFn) => ServerHandlerFn;
