/** A backend's weight from its load reports (gRFC A58): the formula, the blackout period, expiry. */
import { describe, expect, it } from "vitest";
import { EndpointWeight, weightFromReport, type LoadReportValues } from "../src/endpoint-weight.js";

function report(init: Partial<LoadReportValues>): LoadReportValues {
  return { rpsFractional: 0, eps: 0, applicationUtilization: 0, cpuUtilization: 0, ...init };
}

const timing = { blackoutPeriodMs: 10_000, weightExpirationPeriodMs: 180_000 };

describe("the weight a load report gives", () => {
  it("is queries per second over utilization", () => {
    expect(weightFromReport(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 1)).toBe(200);
    expect(weightFromReport(report({ rpsFractional: 100, applicationUtilization: 1 }), 1)).toBe(100);
  });

  it("uses the application utilization when above 0, else the CPU utilization", () => {
    expect(weightFromReport(report({ rpsFractional: 100, applicationUtilization: 0.25, cpuUtilization: 0.5 }), 1)).toBe(400);
    expect(weightFromReport(report({ rpsFractional: 100, applicationUtilization: 0, cpuUtilization: 0.5 }), 1)).toBe(200);
  });

  it("counts errors per query, times errorUtilizationPenalty, as extra utilization", () => {
    const failing = report({ rpsFractional: 100, eps: 10, applicationUtilization: 0.5 });
    expect(weightFromReport(failing, 1)).toBeCloseTo(100 / 0.6, 10);
    expect(weightFromReport(failing, 2)).toBeCloseTo(100 / 0.7, 10);
    expect(weightFromReport(failing, 0)).toBe(200);
  });

  it("is 0, unusable, when the report has no queries or no utilization", () => {
    expect(weightFromReport(report({ rpsFractional: 0, applicationUtilization: 0.5 }), 1)).toBe(0);
    expect(weightFromReport(report({ rpsFractional: 100 }), 1)).toBe(0);
    expect(weightFromReport(report({}), 1)).toBe(0);
  });
});

describe("an endpoint's weight over time", () => {
  it("is unknown (0) until a usable report, and through the blackout period after it", () => {
    const w = new EndpointWeight();
    expect(w.weightAt(0, timing)).toBe(0);
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 1_000, 1);
    expect(w.weightAt(1_000, timing)).toBe(0);
    expect(w.weightAt(10_999, timing)).toBe(0);
    expect(w.weightAt(11_000, timing)).toBe(200);
  });

  it("ignores a report with no queries or no utilization: it neither sets the weight nor starts the blackout", () => {
    const w = new EndpointWeight();
    w.update(report({ rpsFractional: 0, applicationUtilization: 0.5 }), 0, 1);
    w.update(report({ rpsFractional: 100 }), 1_000, 1);
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 5_000, 1);
    expect(w.weightAt(14_999, timing)).toBe(0);
    expect(w.weightAt(15_000, timing)).toBe(200);
    // An unusable report later keeps the last weight.
    w.update(report({ rpsFractional: 0 }), 16_000, 1);
    expect(w.weightAt(16_000, timing)).toBe(200);
  });

  it("follows the latest report once past the blackout", () => {
    const w = new EndpointWeight();
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 0, 1);
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.25 }), 12_000, 1);
    expect(w.weightAt(12_000, timing)).toBe(400);
  });

  it("expires weightExpirationPeriod after the last report, and a weight reported again waits out a new blackout", () => {
    const w = new EndpointWeight();
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 0, 1);
    expect(w.weightAt(179_999, timing)).toBe(200);
    expect(w.weightAt(180_000, timing)).toBe(0);
    w.update(report({ rpsFractional: 100, applicationUtilization: 1 }), 200_000, 1);
    expect(w.weightAt(209_999, timing)).toBe(0);
    expect(w.weightAt(210_000, timing)).toBe(100);
  });

  it("keeps a weight refreshed by reports past its expiration period", () => {
    const w = new EndpointWeight();
    for (let t = 0; t <= 400_000; t += 60_000) w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), t, 1);
    expect(w.weightAt(400_000, timing)).toBe(200);
  });

  it("serves a new blackout after a reconnect, from the next report on", () => {
    const w = new EndpointWeight();
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 0, 1);
    expect(w.weightAt(20_000, timing)).toBe(200);
    w.restartBlackout();
    expect(w.weightAt(20_000, timing)).toBe(0);
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 21_000, 1);
    expect(w.weightAt(30_999, timing)).toBe(0);
    expect(w.weightAt(31_000, timing)).toBe(200);
  });

  it("is used at once with a blackout period of 0, and never expires with an expiration period of 0", () => {
    const w = new EndpointWeight();
    w.update(report({ rpsFractional: 100, applicationUtilization: 0.5 }), 0, 1);
    expect(w.weightAt(0, { blackoutPeriodMs: 0, weightExpirationPeriodMs: 180_000 })).toBe(200);
    expect(w.weightAt(10_000_000, { blackoutPeriodMs: 0, weightExpirationPeriodMs: 0 })).toBe(200);
  });
});
