/**
 * The client-side health checker on one connection, against scripted health
 * services over loopback: the states it reports, when it retries, and that stopping
 * it ends its Watch.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  Code,
  ConnectivityState,
  createChannel,
  createServer,
  GrpcError,
  type Channel,
  type HealthCheckContext,
  type Server,
  type ServiceImpl,
} from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { createHealthChecker, HealthService, HealthStatusManager, healthServiceImpl, ServingStatus } from "../src/index.js";

const transport = http2Transport();
const open: { servers: Server[]; channels: Channel[]; stops: (() => void)[] } = { servers: [], channels: [], stops: [] };

afterEach(() => {
  for (const stop of open.stops.splice(0)) stop();
  for (const c of open.channels.splice(0)) c.close();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

interface Report {
  state: ConnectivityState;
  message?: string;
}

/** Serves `impl` as the health service and starts `checker` on a connection to it. */
async function check(impl: ServiceImpl<typeof HealthService>, checker = createHealthChecker(), serviceName = "") {
  const server = createServer({ transport });
  server.addService(HealthService, impl);
  const { address } = await server.listen("127.0.0.1:0");
  open.servers.push(server);
  const channel = createChannel(address, { transport });
  open.channels.push(channel);
  const reports: Report[] = [];
  const ctx: HealthCheckContext = {
    connection: channel,
    serviceName,
    setState: (state, error) => reports.push(error === undefined ? { state } : { state, message: error.rawMessage }),
  };
  const stop = checker(ctx);
  open.stops.push(stop);
  return { reports, stop };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("healthChecker", () => {
  it("reports CONNECTING, then READY for SERVING and TRANSIENT_FAILURE (UNAVAILABLE) for NOT_SERVING", async () => {
    const manager = new HealthStatusManager();
    manager.setServingStatus("svc", ServingStatus.SERVING);
    const { reports } = await check(healthServiceImpl(manager), undefined, "svc");
    await until(() => reports.length === 2);
    manager.setServingStatus("svc", ServingStatus.NOT_SERVING);
    await until(() => reports.length === 3);
    manager.setServingStatus("svc", ServingStatus.SERVING);
    await until(() => reports.length === 4);
    expect(reports).toEqual([
      { state: ConnectivityState.CONNECTING },
      { state: ConnectivityState.READY },
      { state: ConnectivityState.TRANSIENT_FAILURE, message: "health-check: backend status is NOT_SERVING" },
      { state: ConnectivityState.READY },
    ]);
  });

  it("reports SERVICE_UNKNOWN as TRANSIENT_FAILURE naming that status", async () => {
    const { reports } = await check(healthServiceImpl(new HealthStatusManager()), undefined, "unknown.Service");
    await until(() => reports.length === 2);
    expect(reports[1]).toEqual({
      state: ConnectivityState.TRANSIENT_FAILURE,
      message: "health-check: backend status is SERVICE_UNKNOWN",
    });
  });

  it("treats a server without Watch (UNIMPLEMENTED) as healthy and does not ask again", async () => {
    const manager = new HealthStatusManager();
    const { check: checkOnly } = healthServiceImpl(manager);
    const { reports } = await check({ check: checkOnly }, createHealthChecker({ baseDelayMs: 10, maxDelayMs: 10 }));
    await until(() => reports.length === 2);
    await sleep(100);
    expect(reports).toEqual([{ state: ConnectivityState.CONNECTING }, { state: ConnectivityState.READY }]);
  });

  it("retries at once, with no failure reported, when a stream that delivered a status ends", async () => {
    let watches = 0;
    const impl: ServiceImpl<typeof HealthService> = {
      async *watch() {
        watches++;
        yield { status: ServingStatus.SERVING };
      },
    };
    // A backoff of a minute: only an immediate retry can reach a third Watch in time.
    const { reports } = await check(impl, createHealthChecker({ baseDelayMs: 60_000 }));
    await until(() => watches >= 3);
    expect(reports.some((r) => r.state === ConnectivityState.TRANSIENT_FAILURE)).toBe(false);
    expect(reports.slice(0, 4).map((r) => r.state)).toEqual([
      ConnectivityState.CONNECTING,
      ConnectivityState.READY,
      ConnectivityState.CONNECTING,
      ConnectivityState.READY,
    ]);
  });

  it("reports TRANSIENT_FAILURE when a stream fails before any status, and retries after the backoff", async () => {
    const starts: number[] = [];
    const impl: ServiceImpl<typeof HealthService> = {
      async *watch() {
        starts.push(Date.now());
        throw new GrpcError(Code.INTERNAL, "health store offline");
      },
    };
    const { reports } = await check(impl, createHealthChecker({ baseDelayMs: 150, multiplier: 1, jitter: 0 }));
    await until(() => starts.length >= 3);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(140);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(140);
    expect(reports.slice(0, 3)).toEqual([
      { state: ConnectivityState.CONNECTING },
      { state: ConnectivityState.TRANSIENT_FAILURE, message: expect.stringContaining("health store offline") },
      { state: ConnectivityState.CONNECTING },
    ]);
  });

  it("stopping the checker cancels its Watch on the server and reports nothing more", async () => {
    const manager = new HealthStatusManager();
    const { reports, stop } = await check(healthServiceImpl(manager));
    await until(() => reports.length === 2 && manager.watcherCount === 1);
    stop();
    await until(() => manager.watcherCount === 0);
    manager.setServingStatus("", ServingStatus.NOT_SERVING);
    await sleep(50);
    expect(reports).toEqual([{ state: ConnectivityState.CONNECTING }, { state: ConnectivityState.READY }]);
  });
});
