/**
 * Server interceptors wrap the handler of every call, outermost first:
 * `(next) => async (req) => { ...; const res = await next(req); ...; return res; }`.
 * `stream` says whether a side is one message or an AsyncIterable of them: the request
 * is one message (`stream: false`) for unary and server-streaming methods, and the
 * response is one message for unary and client-streaming methods; the other sides are
 * streams (`stream: true`). Throwing a GrpcError ends the call with that status.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import type { HandlerContext } from "./handler-context.js";

/** The request of a unary or server-streaming method: one message. */
export interface ServerUnaryRequest {
  readonly stream: false;
  readonly method: DescMethod;
  readonly context: HandlerContext;
  message: unknown;
}

/** The request of a client-streaming or bidi method: the client's messages as they arrive. */
export interface ServerStreamRequest {
  readonly stream: true;
  readonly method: DescMethod;
  readonly context: HandlerContext;
  message: AsyncIterable<unknown>;
}

/** The response of a unary or client-streaming method: one message. */
export interface ServerUnaryResponse {
  readonly stream: false;
  message: unknown;
}

/** The response of a server-streaming or bidi method: the messages to send. */
export interface ServerStreamResponse {
  readonly stream: true;
  message: AsyncIterable<unknown>;
}

export type ServerHandlerFn = (
  req: ServerUnaryRequest | ServerStreamRequest,
) => Promise<ServerUnaryResponse | ServerStreamResponse>;

/** A server interceptor: wraps `next` and returns the function to call instead. */
export type ServerInterceptor = (next: ServerHandlerFn) => ServerHandlerFn;
