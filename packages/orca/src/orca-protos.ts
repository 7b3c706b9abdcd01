// Until core exports its ORCA entry point, the messages come from core's generated files.
export { OrcaLoadReportSchema, type OrcaLoadReport } from "../../core/src/gen/xds/data/orca/v3/orca_load_report_pb.js";
export { OpenRcaService, OrcaLoadReportRequestSchema, type OrcaLoadReportRequest } from "../../core/src/gen/xds/service/orca/v3/orca_pb.js";
