/**
 * HealthStatusManager on its own: statuses, shutdown/resume, and what a Watch reader
 * sees when it reads slowly or stops.
 */
import { describe, expect, it } from "vitest";
import { HealthStatusManager, ServingStatus } from "../src/index.js";

describe("HealthStatusManager", () => {
  it("knows only the whole server, SERVING, until a service is set", () => {
    const m = new HealthStatusManager();
    expect([...m.servingStatuses]).toEqual([["", ServingStatus.SERVING]]);
    expect(m.getServingStatus("my.Service")).toBeUndefined();
    m.setServingStatus("my.Service", ServingStatus.NOT_SERVING);
    expect(m.getServingStatus("my.Service")).toBe(ServingStatus.NOT_SERVING);
  });

  it("shutdown() sets every service NOT_SERVING and ignores updates until resume() sets every one SERVING", () => {
    const m = new HealthStatusManager();
    m.setServingStatus("a", ServingStatus.SERVING);
    m.setServingStatus("b", ServingStatus.NOT_SERVING);
    m.shutdown();
    expect(new Map(m.servingStatuses)).toEqual(
      new Map([["", ServingStatus.NOT_SERVING], ["a", ServingStatus.NOT_SERVING], ["b", ServingStatus.NOT_SERVING]]),
    );
    m.setServingStatus("a", ServingStatus.SERVING);
    m.setServingStatus("c", ServingStatus.SERVING);
    expect(m.getServingStatus("a")).toBe(ServingStatus.NOT_SERVING);
    expect(m.getServingStatus("c")).toBeUndefined();
    m.resume();
    expect(new Map(m.servingStatuses)).toEqual(
      new Map([["", ServingStatus.SERVING], ["a", ServingStatus.SERVING], ["b", ServingStatus.SERVING]]),
    );
    m.setServingStatus("c", ServingStatus.NOT_SERVING);
    expect(m.getServingStatus("c")).toBe(ServingStatus.NOT_SERVING);
  });

  it("a slow watcher gets the latest status, not every status it missed", async () => {
    const m = new HealthStatusManager();
    m.setServingStatus("s", ServingStatus.SERVING);
    const w = m.watch("s");
    expect((await w.next()).value).toEqual({ status: ServingStatus.SERVING });
    for (let i = 0; i < 1000; i++) m.setServingStatus("s", i % 2 === 0 ? ServingStatus.NOT_SERVING : ServingStatus.SERVING);
    m.setServingStatus("s", ServingStatus.NOT_SERVING);
    expect((await w.next()).value).toEqual({ status: ServingStatus.NOT_SERVING });
    await w.return!();
  });

  it("a status that changes and changes back before the watcher reads is no change", async () => {
    const m = new HealthStatusManager();
    const w = m.watch("");
    expect((await w.next()).value).toEqual({ status: ServingStatus.SERVING });
    m.setServingStatus("", ServingStatus.NOT_SERVING);
    m.setServingStatus("", ServingStatus.SERVING);
    const pending = w.next();
    m.setServingStatus("", ServingStatus.NOT_SERVING);
    expect((await pending).value).toEqual({ status: ServingStatus.NOT_SERVING });
    await w.return!();
  });

  it("setting the same status twice wakes no watcher", async () => {
    const m = new HealthStatusManager();
    const w = m.watch("");
    await w.next();
    let woke = false;
    const pending = w.next().then((r) => {
      woke = true;
      return r;
    });
    m.setServingStatus("", ServingStatus.SERVING);
    await new Promise((r) => setTimeout(r, 10));
    expect(woke).toBe(false);
    m.setServingStatus("", ServingStatus.NOT_SERVING);
    expect((await pending).value).toEqual({ status: ServingStatus.NOT_SERVING });
    await w.return!();
  });

  it("a watch ends, and is forgotten, when its signal aborts or its reader returns", async () => {
    const m = new HealthStatusManager();
    const controller = new AbortController();
    const a = m.watch("x", controller.signal);
    const b = m.watch("x");
    expect(m.watcherCount).toBe(2);
    expect((await a.next()).value).toEqual({ status: ServingStatus.SERVICE_UNKNOWN });
    const waiting = a.next();
    controller.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(m.watcherCount).toBe(1);
    await b.return!();
    expect(m.watcherCount).toBe(0);
    expect(await b.next()).toEqual({ done: true, value: undefined });
  });

  it("a watch whose signal already aborted ends at once and is never held", async () => {
    const m = new HealthStatusManager();
    const w = m.watch("", AbortSignal.abort());
    expect(m.watcherCount).toBe(0);
    expect(await w.next()).toEqual({ done: true, value: undefined });
  });
});
