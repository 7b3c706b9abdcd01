/**
 * The grpc.health.v1.Health service handlers, answering from a HealthStatusManager.
 */
import { Code, GrpcError, type Server, type ServiceImpl } from "@grpckit/core";
import { Health } from "./gen/grpc/health/v1/health_pb.js";
import { HealthStatusManager, maxListedServices } from "./health-status-manager.js";

/** The grpc.health.v1.Health service descriptor. */
export const HealthService = Health;

/** Handlers for HealthService that report what `manager` holds. */
export function healthServiceImpl(manager: HealthStatusManager): ServiceImpl<typeof HealthService> {
  return {
    check(request) {
      const status = manager.getServingStatus(request.service);
      if (status === undefined) throw new GrpcError(Code.NOT_FOUND, `unknown service "${request.service}"`);
      return { status };
    },
    list() {
      const all = manager.servingStatuses;
      if (all.size > maxListedServices) {
        throw new GrpcError(
          Code.RESOURCE_EXHAUSTED,
          `the server has ${all.size} services, more than the ${maxListedServices} List may return`,
        );
      }
      // No prototype, so a service named "__proto__" is an ordinary key.
      const statuses: Record<string, { status: number }> = Object.create(null);
      for (const [service, status] of all) statuses[service] = { status };
      return { statuses };
    },
    watch(request, context) {
      return manager.watch(request.service, context.signal);
    },
  };
}

/**
 * Adds the health service to `server`, answering from `manager` (a new one when
 * omitted), and returns the manager.
 *
 * @example
 * const health = addHealthService(server);
 * health.setServingStatus("my.Service", ServingStatus.SERVING);
 * // before stopping:
 * health.shutdown();
 */
export function addHealthService(server: Server, manager: HealthStatusManager = new HealthStatusManager()): HealthStatusManager {
  server.addService(HealthService, healthServiceImpl(manager));
  return manager;
}
