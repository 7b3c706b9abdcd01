/** PickDoneInfo for a picker's onDone under test. */
import type { PickDoneInfo } from "../balancer/balancer.js";
import { Code } from "../status/code.js";
import type { GrpcError } from "../status/grpc-error.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";

/**
 * How a call attempt ended, as a channel tells a pick's `onDone`: OK with no trailers
 * and no bytes by default; with `error`, its code.
 *
 * @example
 * pick.onDone?.(createPickDoneInfo({ trailers: { "endpoint-load-metrics-bin": report } }));
 */
export function createPickDoneInfo(
  init: { error?: GrpcError; trailers?: MetadataInit | Metadata; bytesSent?: number; bytesReceived?: number } = {},
): PickDoneInfo {
  const t = init.trailers;
  return {
    code: init.error?.code ?? Code.OK,
    error: init.error,
    trailers: t instanceof Metadata ? t : new Metadata(t),
    bytesSent: init.bytesSent ?? 0,
    bytesReceived: init.bytesReceived ?? 0,
  };
}
