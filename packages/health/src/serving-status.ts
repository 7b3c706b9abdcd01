/** The serving status of a service, as grpc.health.v1 defines it. */
import { HealthCheckResponse_ServingStatus } from "./gen/grpc/health/v1/health_pb.js";

/** UNKNOWN, SERVING, NOT_SERVING, or SERVICE_UNKNOWN (sent only by Watch). */
export const ServingStatus = HealthCheckResponse_ServingStatus;
export type ServingStatus = HealthCheckResponse_ServingStatus;

/** The status's name as the proto spells it: "NOT_SERVING". */
export function servingStatusName(status: ServingStatus): string {
  return ServingStatus[status] ?? `STATUS_${status}`;
}
