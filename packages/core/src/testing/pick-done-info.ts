/** PickDoneInfo for a picker's onDone under test. */
import type { PickDoneInfo } from "../balancer/balancer.js";
import { pickDoneInfo } from "../balancer/load-report.js";
import { toBinary } from "@bufbuild/protobuf";
import { OrcaLoadReportSchema, type OrcaLoadReport } from "../gen/xds/data/orca/v3/orca_load_report_pb.js";
import type { GrpcError } from "../status/grpc-error.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";

/**
 * How a call attempt ended, as a channel tells a pick's `onDone`: OK with no trailers
 * and no bytes by default; with `error`, its code. With `loadReport`, the trailers
 * carry it encoded in `endpoint-load-metrics-bin`, as a backend sends it, and
 * `info.loadReport` reads it back.
 *
 * @example
 * pick.onDone?.(createPickDoneInfo({ loadReport: create(OrcaLoadReportSchema, { rpsFractional: 100, applicationUtilization: 0.5 }) }));
 */
export function createPickDoneInfo(
  init: { error?: GrpcError; trailers?: MetadataInit | Metadata; loadReport?: OrcaLoadReport; bytesSent?: number; bytesReceived?: number } = {},
): PickDoneInfo {
  const t = init.trailers;
  const trailers = t instanceof Metadata ? t.clone() : new Metadata(t);
  if (init.loadReport !== undefined) trailers.set("endpoint-load-metrics-bin", toBinary(OrcaLoadReportSchema, init.loadReport));
  return pickDoneInfo(init.error, trailers, init.bytesSent ?? 0, init.bytesReceived ?? 0);
}
