/**
 * @grpckit/health: gRPC health checking for @grpckit/core. The grpc.health.v1
 * Health service with a status manager for servers, and client-side health checking
 * (gRFC A17) for channels.
 */

// Server
export { HealthStatusManager, maxListedServices } from "./health-status-manager.js";
export type { StatusUpdate } from "./status-watch.js";
export { HealthService, healthServiceImpl, addHealthService } from "./health-service.js";
export { ServingStatus, servingStatusName } from "./serving-status.js";

// Client-side health checking
export { healthChecker, createHealthChecker, registerClientHealthChecking } from "./health-checker.js";

// grpc.health.v1 messages
export {
  file_grpc_health_v1_health,
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatusSchema,
  HealthListRequestSchema,
  HealthListResponseSchema,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthListRequest,
  type HealthListResponse,
} from "./gen/grpc/health/v1/health_pb.js";
