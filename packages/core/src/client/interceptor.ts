/**
 * Client interceptors. An interceptor wraps the function that performs a call:
 * `(next) => async (req) => { ...; const res = await next(req); ...; return res; }`.
 * Interceptors run in the order given: the first one sees the request first and the
 * response last.
 *
 * @example
 * const logger: Interceptor = (next) => async (req) => {
 *   console.log("calling", req.method.name);
 *   const res = await next(req);
 *   console.log("headers", res.header.toJSON());
 *   return res;
 * };
 */
import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import type { Metadata } from "../metadata/metadata.js";

interface RequestCommon {
  /** The method descriptor being called. */
  readonly method: DescMethod;
  /** The HTTP/2 path: "/package.Service/Method". */
  readonly path: string;
  /** Request metadata; interceptors may add to it. */
  readonly metadata: Metadata;
  /** Absolute deadline in ms since the epoch, if any. */
  deadline: number | undefined;
  /** Cancels the call when aborted. */
  readonly signal: AbortSignal | undefined;
}

export interface UnaryRequest<I extends DescMessage = DescMessage> extends RequestCommon {
  readonly stream: false;
  message: MessageShape<I>;
}

export interface StreamRequest<I extends DescMessage = DescMessage> extends RequestCommon {
  readonly stream: true;
  message: AsyncIterable<MessageShape<I>>;
}

export interface UnaryResponse<O extends DescMessage = DescMessage> {
  readonly stream: false;
  readonly header: Metadata;
  message: MessageShape<O>;
  readonly trailer: Metadata;
}

export interface StreamResponse<O extends DescMessage = DescMessage> {
  readonly stream: true;
  readonly header: Metadata;
  message: AsyncIterable<MessageShape<O>>;
  /** Filled in when the response stream has been read to its end. */
  readonly trailer: Metadata;
}

export type UnaryFn = (req: UnaryRequest) => Promise<UnaryResponse>;
export type StreamFn = (req: StreamRequest) => Promise<StreamResponse>;
export type AnyFn = (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

/** A client interceptor: wraps `next` and returns the function to call instead. */
export type Interceptor = (next: AnyFn) => AnyFn;

/** Applies interceptors to `fn`; the first interceptor is the outermost. */
export function applyInterceptors<F extends AnyFn>(fn: F, interceptors: readonly Interceptor[]): F {
  let out: AnyFn = fn;
  for (let i = interceptors.length - 1; i >= 0; i--) out = interceptors[i](out);
  return out as F;
}
