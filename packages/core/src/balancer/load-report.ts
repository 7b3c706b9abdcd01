/**
 * The ORCA load report a backend sends with a call's trailers (gRFC A51): an encoded
 * xds.data.orca.v3.OrcaLoadReport in `endpoint-load-metrics-bin`. Core reads it, so a
 * load-aware policy gets it parsed in PickDoneInfo with nothing but core.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { OrcaLoadReportSchema, type OrcaLoadReport } from "../gen/xds/data/orca/v3/orca_load_report_pb.js";
import type { ReadonlyMetadata } from "../metadata/metadata.js";
import type { PickDoneInfo } from "./balancer.js";
import { Code } from "../status/code.js";
import type { GrpcError } from "../status/grpc-error.js";

/** The binary trailer that carries a call's ORCA load report. */
export const loadReportTrailer = "endpoint-load-metrics-bin";

/**
 * The ORCA load report in `trailers`, or undefined when they carry none or carry bytes
 * that are not an OrcaLoadReport (a backend's bad report costs the caller nothing). When
 * the trailer appears more than once, the first is read.
 */
export function parseLoadReport(trailers: ReadonlyMetadata): OrcaLoadReport | undefined {
  const value = trailers.get(loadReportTrailer);
  if (!(value instanceof Uint8Array)) return undefined;
  try {
    return fromBinary(OrcaLoadReportSchema, value);
  } catch {
    return undefined;
  }
}

/** How an attempt ended, for its pick's onDone; the load report is decoded only if a policy reads it. */
export function pickDoneInfo(error: GrpcError | undefined, trailers: ReadonlyMetadata, bytesSent: number, bytesReceived: number): PickDoneInfo {
  let loadReport: OrcaLoadReport | undefined | null = null;
  return {
    code: error?.code ?? Code.OK,
    error,
    trailers,
    bytesSent,
    bytesReceived,
    get loadReport() {
      if (loadReport === null) loadReport = parseLoadReport(trailers);
      return loadReport;
    },
  };
}
