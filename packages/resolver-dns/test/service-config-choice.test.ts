/** Choosing a service config from `_grpc_config` TXT records (doc/service_config.md). */
import { describe, expect, it } from "vitest";
import { chooseServiceConfig } from "../src/index.js";

const rr = { loadBalancingPolicy: "round_robin" };
const pf = { loadBalancingPolicy: "pick_first" };
const record = (choices: unknown) => [[`grpc_config=${JSON.stringify(choices)}`]];
const ctx = { hostname: "host-a", draw: 50 };

describe("chooseServiceConfig", () => {
  it("returns the serviceConfig of the first matching choice as JSON text", () => {
    expect(chooseServiceConfig(record([{ serviceConfig: rr }, { serviceConfig: pf }]), ctx)).toBe(JSON.stringify(rr));
  });

  it("joins a record's character-strings before reading it", () => {
    const text = `grpc_config=${JSON.stringify([{ serviceConfig: rr }])}`;
    expect(chooseServiceConfig([[text.slice(0, 20), text.slice(20)]], ctx)).toBe(JSON.stringify(rr));
  });

  it("matches clientLanguage node case-insensitively and skips other languages", () => {
    const choices = [
      { clientLanguage: ["go", "nodejs"], serviceConfig: rr },
      { clientLanguage: ["Node"], serviceConfig: pf },
    ];
    expect(chooseServiceConfig(record(choices), ctx)).toBe(JSON.stringify(pf));
  });

  it("treats an empty clientLanguage or clientHostname list as matching every client", () => {
    expect(chooseServiceConfig(record([{ clientLanguage: [], clientHostname: [], serviceConfig: rr }]), ctx)).toBe(JSON.stringify(rr));
  });

  it("matches a percentage when the draw is below it", () => {
    const choices = [{ percentage: 50, serviceConfig: rr }, { serviceConfig: pf }];
    expect(chooseServiceConfig(record(choices), { ...ctx, draw: 49 })).toBe(JSON.stringify(rr));
    expect(chooseServiceConfig(record(choices), { ...ctx, draw: 50 })).toBe(JSON.stringify(pf));
  });

  it("matches clientHostname exactly", () => {
    const choices = [{ clientHostname: ["host-b"], serviceConfig: rr }, { clientHostname: ["host-a"], serviceConfig: pf }];
    expect(chooseServiceConfig(record(choices), ctx)).toBe(JSON.stringify(pf));
  });

  it("returns undefined when no choice matches or no record is a grpc_config", () => {
    expect(chooseServiceConfig(record([{ clientLanguage: ["go"], serviceConfig: rr }]), ctx)).toBeUndefined();
    expect(chooseServiceConfig([["v=spf1 -all"]], ctx)).toBeUndefined();
    expect(chooseServiceConfig([], ctx)).toBeUndefined();
  });

  it("ignores the whole config when it is not valid", () => {
    const invalid = [
      [["grpc_config={not json"]],
      record({ serviceConfig: rr }),
      record([{ clientLanguage: "node", serviceConfig: rr }]),
      record([{ percentage: 101, serviceConfig: rr }]),
      record([{ percentage: 12.5, serviceConfig: rr }]),
      record([{ serviceConfig: [] }]),
      record([{ clientLanguage: ["node"] }]),
      record([{ serviceConfig: pf }, { serviceConfig: rr, extra: true }]),
    ];
    for (const records of invalid) expect(chooseServiceConfig(records, ctx)).toBeUndefined();
  });
});
