/**
 * `@grpckit/core/orca`: what a client reads of ORCA (gRFC A51), the load reports
 * backends send per call and out of band, shipped with core so that a load-aware
 * balancer depends on core alone. The schemas are xds.data.orca.v3.OrcaLoadReport and
 * xds.service.orca.v3.OpenRcaService with their official names and field numbers. A
 * picker's `onDone` already gets the per-call report parsed as `info.loadReport`;
 * `registerOobLoadReportListener` follows the out-of-band one. The server side
 * (recording and serving reports) is `@grpckit/orca`.
 *
 * @example
 * const stop = registerOobLoadReportListener(subchannel, (report) => {
 *   console.log(report.rpsFractional, report.applicationUtilization);
 * }, { reportIntervalMs: 10_000 });
 */
export {
  file_xds_data_orca_v3_orca_load_report,
  OrcaLoadReportSchema,
  type OrcaLoadReport,
} from "./gen/xds/data/orca/v3/orca_load_report_pb.js";
export {
  file_xds_service_orca_v3_orca,
  OpenRcaService,
  OrcaLoadReportRequestSchema,
  type OrcaLoadReportRequest,
} from "./gen/xds/service/orca/v3/orca_pb.js";
export { loadReportTrailer, parseLoadReport } from "./balancer/load-report.js";
export { registerOobLoadReportListener, type OobLoadReportOptions } from "./client/orca-oob-listener.js";
