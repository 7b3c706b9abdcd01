/**
 * `@grpckit/core/error-details`: the standard rich error details of google.rpc
 * (google/rpc/error_details.proto) as protobuf-es schemas, shipped with core so that
 * nothing has to be generated or fetched to use them. `StatusSchema` is the
 * google.rpc.Status that carries them in the grpc-status-details-bin trailer, for
 * reading that trailer where no GrpcError does it (a grpc-js client, a proxy).
 *
 * @example
 * // On the server: a BadRequest detail packed in Any.
 * throw new GrpcError(Code.INVALID_ARGUMENT, "the request has invalid fields", {
 *   details: [anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: [{ field: "name", description: "must not be empty" }] }))],
 * });
 * // On the client:
 * for (const bad of err.findDetails(BadRequestSchema)) console.log(bad.fieldViolations);
 */
export {
  file_google_rpc_error_details,
  type BadRequest,
  BadRequestSchema,
  type BadRequest_FieldViolation,
  BadRequest_FieldViolationSchema,
  type DebugInfo,
  DebugInfoSchema,
  type ErrorInfo,
  ErrorInfoSchema,
  type Help,
  HelpSchema,
  type Help_Link,
  Help_LinkSchema,
  type LocalizedMessage,
  LocalizedMessageSchema,
  type PreconditionFailure,
  PreconditionFailureSchema,
  type PreconditionFailure_Violation,
  PreconditionFailure_ViolationSchema,
  type QuotaFailure,
  QuotaFailureSchema,
  type QuotaFailure_Violation,
  QuotaFailure_ViolationSchema,
  type RequestInfo,
  RequestInfoSchema,
  type ResourceInfo,
  ResourceInfoSchema,
  type RetryInfo,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";
export { type Status, StatusSchema, file_google_rpc_status } from "./gen/google/rpc/status_pb.js";
