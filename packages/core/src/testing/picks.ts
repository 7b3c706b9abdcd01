/**
 * Helpers that run a picker and summarise what it answered. They do not depend on a
 * test framework: they return data, or throw an Error saying what was expected.
 */
import type { Picker, PickInfo, PickResult, Subchannel } from "../balancer/balancer.js";
import type { GrpcError } from "../status/grpc-error.js";
import { createPickInfo } from "./pick-info.js";

const defaultInfo: PickInfo = createPickInfo();

/** Calls `picker.pick` `n` times and returns every result. */
export function picksOf(picker: Picker, n: number, info: PickInfo = defaultInfo): PickResult[] {
  const out: PickResult[] = [];
  for (let i = 0; i < n; i++) out.push(picker.pick(info));
  return out;
}

/** Calls `picker.pick` `n` times and returns the picked subchannels; throws if any pick queues or fails. */
export function pickedSubchannels<S extends Subchannel = Subchannel>(picker: Picker, n: number, info: PickInfo = defaultInfo): S[] {
  return picksOf(picker, n, info).map((r, i) => {
    if (r.type !== "pick") throw new Error(`pick ${i + 1} of ${n} was "${r.type}"${describeFailure(r)}, expected a subchannel`);
    return r.subchannel as S;
  });
}

/** How many of `n` picks went to each subchannel; throws if any pick queues or fails. */
export function pickDistribution<S extends Subchannel = Subchannel>(picker: Picker, n: number, info: PickInfo = defaultInfo): Map<S, number> {
  const counts = new Map<S, number>();
  for (const sc of pickedSubchannels<S>(picker, n, info)) counts.set(sc, (counts.get(sc) ?? 0) + 1);
  return counts;
}

/** Throws unless every one of `n` picks chooses `expected`. */
export function expectAlwaysPicks(picker: Picker, expected: Subchannel, n = 10, info: PickInfo = defaultInfo): void {
  pickedSubchannels(picker, n, info).forEach((sc, i) => {
    if (sc !== expected) throw new Error(`pick ${i + 1} of ${n} chose ${label(sc)}, expected ${label(expected)}`);
  });
}

/** Throws unless every one of `n` picks queues. */
export function expectQueues(picker: Picker, n = 3, info: PickInfo = defaultInfo): void {
  picksOf(picker, n, info).forEach((r, i) => {
    if (r.type !== "queue") throw new Error(`pick ${i + 1} of ${n} was "${r.type}"${describeFailure(r)}, expected "queue"`);
  });
}

/** Throws unless a pick fails; returns its error so the test can check code and message. */
export function expectFails(picker: Picker, info: PickInfo = defaultInfo): GrpcError {
  const r = picker.pick(info);
  if (r.type !== "fail") throw new Error(`the pick was "${r.type}", expected "fail"`);
  return r.error;
}

/**
 * Throws unless `n` picks (a multiple of the set's size) go round the subchannels in
 * `expected` evenly, each once per round, in a fixed rotation.
 */
export function expectRoundRobin(picker: Picker, expected: readonly Subchannel[], rounds = 3, info: PickInfo = defaultInfo): void {
  const k = expected.length;
  if (k === 0) throw new Error("expectRoundRobin needs at least one subchannel");
  const picked = pickedSubchannels(picker, k * rounds, info);
  const want = new Set(expected);
  const first = picked.slice(0, k);
  if (new Set(first).size !== k || !first.every((sc) => want.has(sc))) {
    throw new Error(`the first ${k} picks were [${first.map(label).join(", ")}], expected each of [${expected.map(label).join(", ")}] once`);
  }
  picked.forEach((sc, i) => {
    if (sc !== first[i % k]) throw new Error(`pick ${i + 1} chose ${label(sc)}, expected ${label(first[i % k])} to repeat the rotation`);
  });
}

function label(sc: Subchannel): string {
  return sc.addresses.map((a) => a.addr).join(",") || "subchannel without address";
}

function describeFailure(r: PickResult): string {
  return r.type === "fail" ? ` (${r.error.message})` : "";
}
