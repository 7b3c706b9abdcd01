/**
 * The serving status of a server and of each of its services, as the health service
 * reports it. The same semantics as grpc-go's health.Server: "" (the whole server)
 * starts SERVING, shutdown() turns everything NOT_SERVING and holds it there until
 * resume().
 */
import { ServingStatus } from "./serving-status.js";
import { StatusWatch, type StatusUpdate } from "./status-watch.js";

/** List answers RESOURCE_EXHAUSTED above this many services (grpc.health.v1 List). */
export const maxListedServices = 100;

export class HealthStatusManager {
  private readonly statuses = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);
  private readonly watches = new Map<string, Set<StatusWatch>>();
  private shuttingDown = false;

  /**
   * Sets the status of `service` ("" for the whole server) and tells its watchers.
   * Ignored after shutdown() until resume().
   */
  setServingStatus(service: string, status: ServingStatus): void {
    if (this.shuttingDown) return;
    this.update(service, status);
  }

  /** The status of `service`; undefined when it was never set. */
  getServingStatus(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Every known service and its status, "" included. */
  get servingStatuses(): ReadonlyMap<string, ServingStatus> {
    return this.statuses;
  }

  /**
   * Sets every service NOT_SERVING, for a server about to stop; setServingStatus
   * is ignored from now until resume().
   */
  shutdown(): void {
    this.shuttingDown = true;
    for (const service of this.statuses.keys()) this.update(service, ServingStatus.NOT_SERVING);
  }

  /** Sets every service SERVING and accepts setServingStatus again. */
  resume(): void {
    this.shuttingDown = false;
    for (const service of this.statuses.keys()) this.update(service, ServingStatus.SERVING);
  }

  /**
   * Streams the status of `service`: the current one at once (SERVICE_UNKNOWN when it
   * is not known), then each change. The stream ends when `signal` aborts or the
   * reader stops reading with `return()`.
   */
  watch(service: string, signal?: AbortSignal): AsyncIterableIterator<StatusUpdate> {
    const watch = new StatusWatch(this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN, (w) => {
      const set = this.watches.get(service);
      if (set === undefined) return;
      set.delete(w);
      if (set.size === 0) this.watches.delete(service);
      signal?.removeEventListener("abort", onAbort);
    });
    const onAbort = () => watch.close();
    if (signal?.aborted) {
      watch.close();
      return watch;
    }
    let set = this.watches.get(service);
    if (set === undefined) this.watches.set(service, (set = new Set()));
    set.add(watch);
    signal?.addEventListener("abort", onAbort, { once: true });
    return watch;
  }

  /** How many Watch streams are open (all services). */
  get watcherCount(): number {
    let n = 0;
    for (const set of this.watches.values()) n += set.size;
    return n;
  }

  private update(service: string, status: ServingStatus): void {
    if (this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    const set = this.watches.get(service);
    if (set !== undefined) for (const w of set) w.update(status);
  }
}
