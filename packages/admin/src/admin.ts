/**
 * The admin services on one server in one call, as grpc-go's admin.Register: health
 * for load balancers' probes, reflection for grpcurl-style tools, and channelz for
 * debugging connections. The channelz page is separate (serveChannelzPage), as it
 * listens on its own HTTP port.
 */
import type { ChannelzRegistry, Server } from "@grpckit/core";
import { addChannelzService } from "@grpckit/channelz";
import { HealthStatusManager, addHealthService } from "@grpckit/health";
import { addReflectionService, type ReflectionOptions } from "@grpckit/reflection";

export interface AdminOptions {
  /** The health statuses to serve; a new manager (everything SERVING) by default. */
  health?: HealthStatusManager;
  /** Options of the reflection service (extra descriptors to serve). */
  reflection?: ReflectionOptions;
}

/** What the admin services run on, for the application to drive. */
export interface AdminServices {
  /** Set serving statuses here; `shutdown()` it when the server starts draining. */
  readonly health: HealthStatusManager;
  /** Channelz's records, enabled for the process by this call. */
  readonly channelz: ChannelzRegistry;
}

/**
 * Adds grpc.health.v1.Health, grpc.reflection.v1 and v1alpha ServerReflection, and
 * grpc.channelz.v1.Channelz to `server`, and turns channelz recording on.
 *
 * @example
 * const server = createServer({ transport: http2Transport() });
 * server.addService(Greeter, greeter);
 * const admin = addAdminServices(server);
 * await server.listen("127.0.0.1:50051");
 * admin.health.setServingStatus("demo.v1.Greeter", ServingStatus.SERVING);
 */
export function addAdminServices(server: Server, options: AdminOptions = {}): AdminServices {
  const channelz = addChannelzService(server);
  const health = addHealthService(server, options.health ?? new HealthStatusManager());
  addReflectionService(server, options.reflection);
  return { health, channelz };
}
