import { describe, expect, it } from "vitest";
import { Code, ConnectivityState, GrpcError, constantPicker, type Balancer, type BalancerBuilder, type BalancerClientConn } from "../src/index.js";
import { createFakeBalancerClientConn, createFakeBuildOptions, createPickInfo } from "../src/testing/index.js";
import { GracefulSwitchBalancer } from "../src/balancer/graceful-switch.js";

const { CONNECTING, READY, TRANSIENT_FAILURE, IDLE } = ConnectivityState;

/** A policy whose state the test sets by hand through the cc it was built with. */
function testPolicy(name: string) {
  const built: { cc: BalancerClientConn; closed: boolean; updates: number }[] = [];
  const builder: BalancerBuilder = {
    name,
    build(cc) {
      const entry = { cc, closed: false, updates: 0 };
      built.push(entry);
      const b: Balancer = {
        updateClientConnState: () => void entry.updates++,
        resolverError: () => {},
        exitIdle: () => {},
        close: () => void (entry.closed = true),
      };
      return b;
    },
  };
  const publish = (i: number, state: ConnectivityState, tag: string) =>
    built[i].cc.updateState({ state, picker: constantPicker({ type: "fail", error: new GrpcError(Code.UNAVAILABLE, tag) }) });
  return { builder, built, publish };
}

function tagOf(cc: ReturnType<typeof createFakeBalancerClientConn>): string {
  const r = cc.picker.pick(createPickInfo({ path: "/s/m" }));
  return r.type === "fail" ? r.error.rawMessage : r.type;
}

describe("graceful switch between policies", () => {
  it("keeps the old policy's picker while the new one connects, then swaps and closes the old one", () => {
    const cc = createFakeBalancerClientConn();
    const a = testPolicy("a");
    const b = testPolicy("b");
    const gs = new GracefulSwitchBalancer(cc, () => createFakeBuildOptions());
    gs.switchTo(a.builder);
    a.publish(0, READY, "a-ready");
    gs.switchTo(b.builder);
    b.publish(0, CONNECTING, "b-connecting");
    expect(cc.state).toBe(READY);
    expect(tagOf(cc)).toBe("a-ready");
    expect(a.built[0].closed).toBe(false);
    b.publish(0, READY, "b-ready");
    expect(tagOf(cc)).toBe("b-ready");
    expect(a.built[0].closed).toBe(true);
  });

  it("swaps at once when the old policy stops being READY", () => {
    const cc = createFakeBalancerClientConn();
    const a = testPolicy("a");
    const b = testPolicy("b");
    const gs = new GracefulSwitchBalancer(cc, () => createFakeBuildOptions());
    gs.switchTo(a.builder);
    a.publish(0, READY, "a-ready");
    gs.switchTo(b.builder);
    b.publish(0, CONNECTING, "b-connecting");
    a.publish(0, IDLE, "a-idle");
    expect(cc.state).toBe(CONNECTING);
    expect(tagOf(cc)).toBe("b-connecting");
    expect(a.built[0].closed).toBe(true);
  });

  it("swaps when the new policy fails, so its error is what calls see", () => {
    const cc = createFakeBalancerClientConn();
    const a = testPolicy("a");
    const b = testPolicy("b");
    const gs = new GracefulSwitchBalancer(cc, () => createFakeBuildOptions());
    gs.switchTo(a.builder);
    a.publish(0, READY, "a-ready");
    gs.switchTo(b.builder);
    b.publish(0, TRANSIENT_FAILURE, "b-failed");
    expect(cc.state).toBe(TRANSIENT_FAILURE);
    expect(tagOf(cc)).toBe("b-failed");
  });

  it("does not rebuild the policy in use, and sends updates to the newest policy", () => {
    const cc = createFakeBalancerClientConn();
    const a = testPolicy("a");
    const b = testPolicy("b");
    const gs = new GracefulSwitchBalancer(cc, () => createFakeBuildOptions());
    gs.switchTo(a.builder);
    gs.switchTo(a.builder);
    expect(a.built).toHaveLength(1);
    a.publish(0, READY, "a-ready");
    gs.switchTo(b.builder);
    gs.updateClientConnState({ resolverState: { endpoints: [] }, config: undefined });
    expect(a.built[0].updates).toBe(0);
    expect(b.built[0].updates).toBe(1);
  });

  it("replaces a pending policy that never became ready with a newer one", () => {
    const cc = createFakeBalancerClientConn();
    const a = testPolicy("a");
    const b = testPolicy("b");
    const c = testPolicy("c");
    const gs = new GracefulSwitchBalancer(cc, () => createFakeBuildOptions());
    gs.switchTo(a.builder);
    a.publish(0, READY, "a-ready");
    gs.switchTo(b.builder);
    gs.switchTo(c.builder);
    expect(b.built[0].closed).toBe(true);
    b.publish(0, READY, "b-late");
    expect(tagOf(cc)).toBe("a-ready");
    c.publish(0, READY, "c-ready");
    expect(tagOf(cc)).toBe("c-ready");
  });
});
