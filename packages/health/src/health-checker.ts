/**
 * Client-side health checking (gRFC A17): one Watch stream per connection tells the
 * channel whether the backend is serving, so balancers that ask for it (round_robin)
 * send calls only to serving backends.
 */
import {
  Backoff,
  Code,
  ConnectivityState,
  createClient,
  GrpcError,
  registerHealthChecker,
  type BackoffOptions,
  type HealthChecker,
} from "@grpckit/core";
import { HealthService } from "./health-service.js";
import { ServingStatus, servingStatusName } from "./serving-status.js";

/**
 * Builds a health checker. For each connection it watches `serviceName` and reports
 * READY while the backend is SERVING, TRANSIENT_FAILURE (UNAVAILABLE) for any other
 * status. A server without the health service (UNIMPLEMENTED) counts as healthy and
 * is not asked again on that connection. A stream that ends otherwise is retried: at
 * once when it had delivered a status, else after a backoff during which the
 * connection is TRANSIENT_FAILURE.
 */
export function createHealthChecker(backoff?: BackoffOptions): HealthChecker {
  return (ctx) => {
    const client = createClient(HealthService, ctx.connection);
    const retry = new Backoff(backoff);
    const request = { service: ctx.serviceName };
    let stopped = false;
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const attempt = async (): Promise<void> => {
      timer = undefined;
      ctx.setState(ConnectivityState.CONNECTING);
      const c = (controller = new AbortController());
      let received = false;
      let failure: GrpcError;
      try {
        for await (const response of client.watch(request, { signal: c.signal, waitForReady: false })) {
          if (stopped) return;
          received = true;
          if (response.status === ServingStatus.SERVING) {
            ctx.setState(ConnectivityState.READY);
          } else {
            ctx.setState(
              ConnectivityState.TRANSIENT_FAILURE,
              new GrpcError(Code.UNAVAILABLE, `health-check: backend status is ${servingStatusName(response.status)}`),
            );
          }
        }
        failure = new GrpcError(Code.UNAVAILABLE, "health-check: the Watch stream ended");
      } catch (e) {
        if (stopped) return;
        const error = GrpcError.from(e);
        if (error.code === Code.UNIMPLEMENTED) {
          // The server has no health service: treat it as healthy, and stop asking.
          ctx.setState(ConnectivityState.READY);
          return;
        }
        failure = new GrpcError(Code.UNAVAILABLE, `health-check: the Watch stream failed: ${error.message}`, { cause: error });
      }
      if (stopped) return;
      if (received) {
        // The stream worked: the backoff starts over and the next attempt is now.
        retry.reset();
        void attempt();
        return;
      }
      ctx.setState(ConnectivityState.TRANSIENT_FAILURE, failure);
      timer = setTimeout(() => void attempt(), retry.next());
      timer.unref?.();
    };

    void attempt();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      controller?.abort(new GrpcError(Code.CANCELLED, "health check stopped"));
    };
  };
}

/** The health checker with the default connection backoff (doc/connection-backoff.md). */
export const healthChecker: HealthChecker = createHealthChecker();

/**
 * Turns on client-side health checking for every channel in the process: channels
 * whose service config has a healthCheckConfig, with a balancer that supports it
 * (round_robin), send calls only to backends that report SERVING.
 */
export function registerClientHealthChecking(): void {
  registerHealthChecker(healthChecker);
}
