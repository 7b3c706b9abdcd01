/**
 * Typed clients from @bufbuild/protobuf service descriptors, with no code generator:
 * unary methods return a Promise, server-streaming ones an AsyncIterable,
 * client-streaming ones take an AsyncIterable and return a Promise, and bidi ones take
 * and return AsyncIterables.
 */
import { create, type DescMessage, type DescMethod, type DescService, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { CallOptions } from "./call-options.js";
import { callDeadline, callSignal } from "./call-options.js";
import { ClientCall, type Call, type ClientCallOptions, type ClientConnection } from "./client-call.js";
import type { MethodConfig } from "../config/method-config.js";
import { RetryingCall } from "./retrying-call.js";
import { startCallStats } from "../observability/stats.js";
import { Code } from "../status/code.js";
import { GrpcError } from "../status/grpc-error.js";
import { applyInterceptors, type StreamRequest, type StreamResponse, type UnaryRequest, type UnaryResponse } from "./interceptor.js";
import { isMarkedUncompressed, sendUncompressed } from "../call/message-marks.js";
import { MessageQueue } from "../call/message-queue.js";
import { Metadata } from "../metadata/metadata.js";

type Methods<S extends DescService> = S["method"];

type ClientMethod<M> = M extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
  : M extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
    : M extends { methodKind: "client_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? (requests: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>, options?: CallOptions) => Promise<MessageShape<O>>
      : M extends { methodKind: "bidi_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
        ? (requests: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
        : never;

/** A client for service `S`: one method per RPC, named in lowerCamelCase as in the descriptor. */
export type Client<S extends DescService> = { [K in keyof Methods<S>]: ClientMethod<Methods<S>[K]> };

/** Response messages are queued up to this many before the stream stops reading. */
const responseHighWater = 16;

function toMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>): MessageShape<D> {
  const msg = create(schema, init);
  if (msg !== init && isMarkedUncompressed(init as object)) sendUncompressed(msg);
  return msg;
}

function callOptions(
  channel: ClientConnection,
  path: string,
  opts: CallOptions | undefined,
  deadline: number | undefined,
  signal: AbortSignal | undefined,
): ClientCallOptions {
  const callOpts: ClientCallOptions = {
    deadline,
    waitForReady: opts?.waitForReady ?? false,
    compression: opts?.compression ?? channel.compression,
    maxReceiveMessageBytes: opts?.maxReceiveMessageBytes ?? channel.maxReceiveMessageBytes,
    maxSendMessageBytes: opts?.maxSendMessageBytes ?? channel.maxSendMessageBytes,
    signal,
    callCredentials: opts?.callCredentials ?? channel.callCredentials,
    methodConfig: undefined,
  };
  const handlers = channel.statsHandlers;
  if (handlers !== undefined && handlers.length > 0) {
    callOpts.stats = startCallStats(handlers, { side: "client", method: path, target: channel.statsTarget, startTime: Date.now() });
  }
  const mc = channel.methodConfig?.(path);
  if (mc !== undefined) applyMethodConfig(callOpts, mc, opts);
  return callOpts;
}

/** The service config's settings for the method, where the call does not say otherwise (sizes: the smaller wins). */
function applyMethodConfig(callOpts: ClientCallOptions, mc: MethodConfig, opts: CallOptions | undefined): void {
  callOpts.methodConfig = mc;
  if (mc.timeoutMs !== undefined) {
    const d = Date.now() + mc.timeoutMs;
    callOpts.deadline = callOpts.deadline === undefined ? d : Math.min(callOpts.deadline, d);
  }
  if (opts?.waitForReady === undefined && mc.waitForReady !== undefined) callOpts.waitForReady = mc.waitForReady;
  if (mc.maxRequestMessageBytes !== undefined) callOpts.maxSendMessageBytes = Math.min(callOpts.maxSendMessageBytes, mc.maxRequestMessageBytes);
  if (mc.maxResponseMessageBytes !== undefined) {
    callOpts.maxReceiveMessageBytes = Math.min(callOpts.maxReceiveMessageBytes, mc.maxResponseMessageBytes);
  }
}

/** A call, retried or hedged when the method's config has a policy for it. */
function newCall(channel: ClientConnection, path: string, method: DescMethod, callOpts: ClientCallOptions): Call<DescMessage, DescMessage> {
  const mc = callOpts.methodConfig;
  if (mc !== undefined && (mc.retryPolicy !== undefined || mc.hedgingPolicy !== undefined)) {
    return new RetryingCall(channel, path, method.input, method.output, callOpts);
  }
  return new ClientCall(channel, path, method.input, method.output, callOpts);
}

function pathOf(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** The innermost unary call: one message out, one in. */
/**
 * One unary call on the wire: resolves with the single response message. Header and
 * trailer metadata go to the hooks, which are optional so the plain path decodes none.
 */
function unaryCall(
  channel: ClientConnection,
  path: string,
  method: DescMethod,
  message: MessageShape<DescMessage>,
  callOpts: ClientCallOptions,
  metadata: Metadata | undefined,
  onHeader: ((md: Metadata) => void) | undefined,
  onTrailer: ((md: Metadata) => void) | undefined,
): Promise<MessageShape<DescMessage>> {
  return new Promise((resolve, reject) => {
    const call = newCall(channel, path, method, callOpts);
    let response: MessageShape<DescMessage> | undefined;
    call.start(metadata, {
      onHeader,
      onMessage(m) {
        if (response !== undefined) {
          call.cancel(new GrpcError(Code.UNIMPLEMENTED, "server sent more than one response message for a unary call"));
          return;
        }
        response = m;
      },
      onClose(error, trailer) {
        onTrailer?.(trailer);
        if (error !== undefined) reject(error);
        else if (response === undefined) reject(new GrpcError(Code.UNIMPLEMENTED, "server ended a unary call without a response message", { metadata: trailer }));
        else resolve(response);
      },
    });
    call.sendLast(message);
  });
}

/** The innermost unary call under interceptors: the response with its metadata. */
async function runUnary(channel: ClientConnection, opts: CallOptions | undefined, req: UnaryRequest): Promise<UnaryResponse> {
  let header: Metadata | undefined;
  let trailer: Metadata | undefined;
  const message = await unaryCall(
    channel,
    req.path,
    req.method,
    req.message,
    callOptions(channel, req.path, opts, req.deadline, req.signal),
    req.metadata,
    (md) => {
      header = md;
      opts?.onHeader?.(md);
    },
    (md) => {
      trailer = md;
      opts?.onTrailer?.(md);
    },
  );
  return { stream: false, header: header ?? new Metadata(), message, trailer: trailer ?? new Metadata() };
}

/** A unary call with no interceptors: no request or response objects beyond what the call needs. */
function callUnaryDirect(
  channel: ClientConnection,
  path: string,
  method: DescMethod,
  message: MessageShape<DescMessage>,
  opts: CallOptions | undefined,
): Promise<MessageShape<DescMessage>> {
  const callOpts = callOptions(channel, path, opts, callDeadline(opts), callSignal(opts));
  return unaryCall(channel, path, method, message, callOpts, opts?.metadata, opts?.onHeader, opts?.onTrailer);
}

/** The innermost streaming call: resolves when response headers arrive (or the call ends). */
function runStream(channel: ClientConnection, opts: CallOptions | undefined, req: StreamRequest): Promise<StreamResponse> {
  return new Promise((resolve, reject) => {
    const call = newCall(channel, req.path, req.method, callOptions(channel, req.path, opts, req.deadline, req.signal));
    const trailer = new Metadata();
    const queue = new MessageQueue<MessageShape<DescMessage>>(
      responseHighWater,
      () => call.pause(),
      () => call.resume(),
      () => call.cancel(new GrpcError(Code.CANCELLED, "response stream abandoned by the reader")),
    );
    let settled = false;
    const respond = (header: Metadata) => {
      if (settled) return;
      settled = true;
      resolve({ stream: true, header, message: queue, trailer });
    };
    call.start(req.metadata, {
      onHeader(md) {
        opts?.onHeader?.(md);
        respond(md);
      },
      onMessage(m) {
        queue.push(m);
      },
      onClose(error, tr) {
        trailer.merge(tr);
        opts?.onTrailer?.(tr);
        if (!settled && error !== undefined) {
          settled = true;
          reject(error);
          return;
        }
        respond(new Metadata());
        queue.end(error);
      },
    });
    void pump(call, req.message);
  });
}

/** Sends every request message with backpressure, then half-closes. */
async function pump(call: Call<DescMessage, DescMessage>, messages: AsyncIterable<MessageShape<DescMessage>>): Promise<void> {
  try {
    if (messages instanceof RequestMessages) {
      // The caller's own messages, not replaced by an interceptor: read them directly,
      // so each message costs one iteration here rather than a generator's as well.
      const schema = messages.schema;
      for await (const init of messages.input) {
        if (call.isClosed) return;
        // Waits only for backpressure: a message the transport took costs no extra turn.
        const sent = call.send(toMessage(schema, init));
        if (sent !== undefined) await sent;
      }
    } else {
      for await (const m of messages) {
        if (call.isClosed) return;
        const sent = call.send(m);
        if (sent !== undefined) await sent;
      }
    }
    call.halfClose();
  } catch (e) {
    call.cancel(GrpcError.from(e, Code.CANCELLED));
  }
}

/** The request messages of a streaming call as the caller gave them, made into messages of `schema` as they are read. */
class RequestMessages<D extends DescMessage> implements AsyncIterable<MessageShape<D>> {
  constructor(
    readonly schema: D,
    readonly input: AsyncIterable<MessageInitShape<D>> | Iterable<MessageInitShape<D>>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<MessageShape<D>> {
    for await (const m of this.input) yield toMessage(this.schema, m);
  }
}

async function* single<T>(value: T): AsyncIterable<T> {
  yield value;
}

async function firstOnly<T>(it: AsyncIterable<T>): Promise<T> {
  let result: T | undefined;
  let n = 0;
  for await (const m of it) {
    if (n++ > 0) throw new GrpcError(Code.UNIMPLEMENTED, "server sent more than one response message for a client-streaming call");
    result = m;
  }
  if (n === 0) throw new GrpcError(Code.UNIMPLEMENTED, "server ended a client-streaming call without a response message");
  return result as T;
}

/**
 * Creates a typed client for `service` on `channel` (a Channel, or any ClientConnection).
 *
 * @example
 * const client = createClient(GreeterService, channel);
 * const reply = await client.sayHello({ name: "world" }, { timeoutMs: 1000 });
 */
export function createClient<S extends DescService>(service: S, channel: ClientConnection): Client<S> {
  const client: Record<string, unknown> = {};
  const interceptors = channel.interceptors;
  for (const method of service.methods) {
    const path = pathOf(method);
    const unaryFn = (req: UnaryRequest, opts?: CallOptions) => runUnary(channel, opts, req);
    const streamFn = (req: StreamRequest, opts?: CallOptions) => runStream(channel, opts, req);
    // Interceptors may change request metadata, so they get a copy; the direct path
    // sends the caller's metadata as is.
    const request = (opts: CallOptions | undefined) => ({
      method,
      path,
      metadata: opts?.metadata !== undefined ? opts.metadata.clone() : new Metadata(),
      deadline: callDeadline(opts),
      signal: callSignal(opts),
    });
    const callUnary = (req: UnaryRequest, opts: CallOptions | undefined): Promise<UnaryResponse> =>
      interceptors.length === 0 ? unaryFn(req, opts) : (applyInterceptors((r) => unaryFn(r as UnaryRequest, opts), interceptors)(req) as Promise<UnaryResponse>);
    const callStream = (req: StreamRequest, opts: CallOptions | undefined): Promise<StreamResponse> =>
      interceptors.length === 0 ? streamFn(req, opts) : (applyInterceptors((r) => streamFn(r as StreamRequest, opts), interceptors)(req) as Promise<StreamResponse>);

    let fn: unknown;
    switch (method.methodKind) {
      case "unary":
        fn = async (init: MessageInitShape<DescMessage>, opts?: CallOptions) => {
          if (interceptors.length === 0) return callUnaryDirect(channel, path, method, toMessage(method.input, init), opts);
          const res = await callUnary({ stream: false, ...request(opts), message: toMessage(method.input, init) }, opts);
          return res.message;
        };
        break;
      case "server_streaming":
        fn = (init: MessageInitShape<DescMessage>, opts?: CallOptions) =>
          (async function* () {
            const res = await callStream({ stream: true, ...request(opts), message: single(toMessage(method.input, init)) }, opts);
            yield* res.message;
          })();
        break;
      case "client_streaming":
        fn = async (input: AsyncIterable<MessageInitShape<DescMessage>>, opts?: CallOptions) => {
          const res = await callStream({ stream: true, ...request(opts), message: new RequestMessages(method.input, input) }, opts);
          return firstOnly(res.message);
        };
        break;
      case "bidi_streaming":
        fn = (input: AsyncIterable<MessageInitShape<DescMessage>>, opts?: CallOptions) =>
          (async function* () {
            const res = await callStream({ stream: true, ...request(opts), message: new RequestMessages(method.input, input) }, opts);
            yield* res.message;
          })();
        break;
    }
    client[method.localName] = fn;
  }
  return client as Client<S>;
}
