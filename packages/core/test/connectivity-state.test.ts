import { describe, expect, it } from "vitest";
import { ConnectivityState, aggregateConnectivityState } from "../src/index.js";

const { IDLE, CONNECTING, READY, TRANSIENT_FAILURE, SHUTDOWN } = ConnectivityState;

describe("aggregateConnectivityState", () => {
  it("is READY when any child is READY, whatever the others are", () => {
    expect(aggregateConnectivityState([TRANSIENT_FAILURE, CONNECTING, IDLE, READY])).toBe(READY);
  });

  it("prefers CONNECTING over IDLE and IDLE over TRANSIENT_FAILURE", () => {
    expect(aggregateConnectivityState([TRANSIENT_FAILURE, IDLE, CONNECTING])).toBe(CONNECTING);
    expect(aggregateConnectivityState([TRANSIENT_FAILURE, IDLE])).toBe(IDLE);
    expect(aggregateConnectivityState([TRANSIENT_FAILURE, TRANSIENT_FAILURE])).toBe(TRANSIENT_FAILURE);
  });

  it("is TRANSIENT_FAILURE with no children, and ignores SHUTDOWN ones", () => {
    expect(aggregateConnectivityState([])).toBe(TRANSIENT_FAILURE);
    expect(aggregateConnectivityState([SHUTDOWN, TRANSIENT_FAILURE])).toBe(TRANSIENT_FAILURE);
  });
});
