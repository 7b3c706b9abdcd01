/**
 * Server taps, as grpc-go's InTapHandle: a check that runs when a stream's headers
 * arrive, before anything is set up for the call (no handler, no interceptor, no
 * decompression, no message decoded), and may refuse it. Authorization policies run
 * here, so a refused call costs the server one header block in and one trailers-only
 * response out.
 */
import type { Metadata } from "../metadata/metadata.js";
import { LogVerbosity, log, trace } from "../observability/logging.js";
import { Code } from "../status/code.js";
import { GrpcError, codeName } from "../status/grpc-error.js";
import type { Peer } from "../transport/transport.js";

/** What a tap sees of a call about to start. */
export interface TapInfo {
  /** The method's full path as the client sent it, "/package.Service/Method"; the server may have no such method. */
  readonly path: string;
  /** The request's custom metadata (the same object the handler's context gets). */
  readonly metadata: Metadata;
  /** Who called: address, and the handshake's AuthInfo (for TLS, the peer's certificate). */
  readonly peer: Peer;
}

/**
 * A server tap: returns to let the call go on, throws a `GrpcError` to refuse it with
 * that status (sent as a trailers-only response). Any other thrown value refuses with
 * PERMISSION_DENIED and its message, as grpc-go does.
 *
 * Taps run synchronously on the transport's turn of the event loop for every call, so
 * they must be cheap; a tap that returns a promise refuses the call with INTERNAL.
 *
 * @example
 * const server = createServer({
 *   transport: h2Transport(),
 *   taps: [({ metadata }) => {
 *     if (!metadata.has("x-api-key")) throw new GrpcError(Code.UNAUTHENTICATED, "x-api-key is missing");
 *   }],
 * });
 */
export type ServerTap = (info: TapInfo) => void;

/** Runs `taps` in order; the first refusal is the call's status, undefined when all let it go on. */
export function runTaps(taps: readonly ServerTap[], info: TapInfo): GrpcError | undefined {
  for (let i = 0; i < taps.length; i++) {
    let result: unknown;
    try {
      result = taps[i](info);
    } catch (e) {
      if (e instanceof GrpcError) {
        trace("server", `tap refused ${info.path} from ${info.peer.address}: ${codeName(e.code)}: ${e.rawMessage}`);
        return e;
      }
      const message = e instanceof Error ? e.message : String(e);
      log(LogVerbosity.ERROR, `server tap threw a non-GrpcError for ${info.path}; the call is refused: ${message}`);
      return new GrpcError(Code.PERMISSION_DENIED, message);
    }
    if (isThenable(result)) {
      // Nobody awaits it: keep its rejection from becoming an unhandled one.
      result.then(undefined, () => {});
      log(LogVerbosity.ERROR, `server tap returned a promise for ${info.path}; taps must be synchronous, so the call is refused`);
      return new GrpcError(Code.INTERNAL, "the server's tap returned a promise; taps must decide synchronously");
    }
  }
  return undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}
