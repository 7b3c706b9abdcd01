/**
 * The pick_first balancer of gRFC A62: one subchannel per address, connected one at a
 * time in order until one is READY; every call then goes to that one connection.
 */
import {
  Code,
  ConnectivityState,
  GrpcError,
  constantPicker,
  type Address,
  type Balancer,
  type BalancerClientConn,
  type ClientConnState,
  type Picker,
  type Subchannel,
} from "@grpckit/core";
import { shuffled } from "./shuffle.js";

/** pick_first's config in a service config's loadBalancingConfig. */
export interface PickFirstConfig {
  /** Shuffle the resolved endpoints before trying them, spreading clients over backends. */
  shuffleAddressList?: boolean;
}

/** Options for building the balancer directly (tests fix the shuffle's random source). */
export interface PickFirstOptions {
  /** A number in [0, 1); Math.random by default. */
  random?: () => number;
}

const queuePicker = constantPicker({ type: "queue" });
const noop = () => {};

/** gRFC A61 Happy Eyeballs: how long an attempt runs alone before the next address is tried too. */
export const connectionAttemptDelayMs = 250;

interface Entry {
  readonly sc: Subchannel;
  unwatch: () => void;
  /** Failed during the current pass over the address list. */
  failed: boolean;
}

export class PickFirstBalancer implements Balancer<PickFirstConfig | undefined> {
  private addresses: Address[] = [];
  /** Live subchannels by address. */
  private readonly entries = new Map<string, Entry>();
  private selected: Entry | undefined;
  /** The address last tried in the current pass (the list's length once all were tried); -1 when no pass runs. */
  private index = -1;
  private attemptTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAttemptTimer = () => {
    this.attemptTimer = undefined;
    if (this.index >= 0) this.tryFrom(this.index + 1);
  };
  /** Every address failed once: report TRANSIENT_FAILURE until one is READY. */
  private sticky = false;
  private state: ConnectivityState = ConnectivityState.IDLE;
  private lastError: GrpcError | undefined;
  private failuresSinceReport = 0;
  private closed = false;
  private readonly random: () => number;

  constructor(
    private readonly cc: BalancerClientConn,
    options: PickFirstOptions = {},
  ) {
    this.random = options.random ?? Math.random;
  }

  updateClientConnState({ resolverState, config }: ClientConnState<PickFirstConfig | undefined>): void {
    if (this.closed) return;
    let endpoints = resolverState.endpoints;
    // gRFC A62: shuffle endpoints (not addresses), keeping each endpoint's family order.
    if (config?.shuffleAddressList === true) endpoints = shuffled(endpoints, this.random);
    const addresses: Address[] = [];
    const seen = new Set<string>();
    for (const e of endpoints) {
      for (const a of e.addresses) {
        if (seen.has(a.addr)) continue;
        seen.add(a.addr);
        addresses.push(a);
      }
    }
    if (addresses.length === 0) {
      this.shutdownAll();
      this.addresses = [];
      this.stopPass();
      this.report(ConnectivityState.TRANSIENT_FAILURE, failPicker(new GrpcError(Code.UNAVAILABLE, "pick_first: name resolver returned no addresses")));
      this.cc.requestReresolution();
      return;
    }
    const unchanged = sameOrder(this.addresses, addresses);
    const hadAddresses = this.addresses.length > 0;
    this.addresses = addresses;
    for (const [addr, entry] of this.entries) {
      if (!seen.has(addr)) this.remove(addr, entry);
    }
    // An update that still lists the connected address keeps that connection.
    if (this.selected !== undefined) return;
    // The same list while a pass runs or the subchannels retry: nothing new to try.
    if (unchanged && (this.index >= 0 || this.sticky)) return;
    // IDLE after a lost connection stays IDLE until a call arrives.
    if (!hadAddresses || this.state !== ConnectivityState.IDLE) this.startPass();
  }

  resolverError(error: GrpcError): void {
    if (this.closed) return;
    // Known addresses keep being used; the error shows only when there are none or all failed.
    if (this.addresses.length === 0 || this.state === ConnectivityState.TRANSIENT_FAILURE) {
      this.report(ConnectivityState.TRANSIENT_FAILURE, failPicker(error));
    }
  }

  exitIdle(): void {
    if (this.closed || this.selected !== undefined || this.index >= 0 || this.sticky) return;
    if (this.addresses.length > 0) this.startPass();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shutdownAll();
    this.stopPass();
  }

  /** Tries the addresses from the first; CONNECTING is reported unless the failure is sticky. */
  private startPass(): void {
    this.stopPass();
    for (const e of this.entries.values()) e.failed = false;
    this.index = 0;
    if (!this.sticky) this.report(ConnectivityState.CONNECTING, queuePicker);
    this.tryFrom(0);
  }

  /**
   * Moves the pass to the first address at or after `i` that may still connect; earlier
   * attempts still connecting go on, and the first to be READY wins.
   */
  private tryFrom(i: number): void {
    this.clearAttemptTimer();
    for (; i < this.addresses.length; i++) {
      this.index = i;
      const entry = this.entryFor(this.addresses[i]);
      switch (entry.sc.state) {
        case ConnectivityState.READY:
          this.select(entry);
          return;
        case ConnectivityState.IDLE:
          entry.sc.connect();
          this.armAttemptTimer(i);
          return;
        case ConnectivityState.CONNECTING:
          this.armAttemptTimer(i);
          return;
        default:
          // Still backing off from an earlier failure: it counts as failed in this pass.
          entry.failed = true;
      }
    }
    this.index = this.addresses.length;
    this.endPassIfAllFailed();
  }

  /** Every address failed: stay in TRANSIENT_FAILURE while the subchannels retry. */
  private endPassIfAllFailed(): void {
    if (this.index < this.addresses.length) return;
    for (const e of this.entries.values()) if (!e.failed) return;
    this.stopPass();
    this.sticky = true;
    this.failuresSinceReport = 0;
    this.reportFailure();
    this.cc.requestReresolution();
    for (const e of this.entries.values()) if (e.sc.state === ConnectivityState.IDLE) e.sc.connect();
  }

  private entryFor(address: Address): Entry {
    const entry = this.entries.get(address.addr);
    if (entry !== undefined) return entry;
    const sc = this.cc.createSubchannel([address]);
    const created: Entry = { sc, unwatch: noop, failed: false };
    created.unwatch = sc.watch((state, error) => this.onState(created, state, error));
    this.entries.set(address.addr, created);
    return created;
  }

  private onState(entry: Entry, state: ConnectivityState, error?: GrpcError): void {
    if (this.closed || this.entries.get(entry.sc.addresses[0].addr) !== entry) return;
    if (entry === this.selected) {
      if (state !== ConnectivityState.READY) this.lostSelected(entry);
      return;
    }
    switch (state) {
      case ConnectivityState.READY:
        this.select(entry);
        return;
      case ConnectivityState.TRANSIENT_FAILURE:
        this.lastError = error ?? this.lastError;
        if (this.index >= 0) {
          entry.failed = true;
          if (entry === this.current()) this.tryFrom(this.index + 1);
          else this.endPassIfAllFailed();
        } else if (this.sticky && ++this.failuresSinceReport >= this.entries.size) {
          // A full round of retries failed: show the newest error and look the name up again.
          this.failuresSinceReport = 0;
          this.reportFailure();
          this.cc.requestReresolution();
        }
        return;
      case ConnectivityState.IDLE:
        if (this.index < 0 && this.sticky) entry.sc.connect();
        return;
      default:
        return;
    }
  }

  private current(): Entry | undefined {
    const a = this.addresses[this.index];
    return a === undefined ? undefined : this.entries.get(a.addr);
  }

  /** The first READY subchannel wins: the others are shut down. */
  private select(entry: Entry): void {
    this.selected = entry;
    this.stopPass();
    this.sticky = false;
    for (const [addr, e] of this.entries) if (e !== entry) this.remove(addr, e);
    this.report(ConnectivityState.READY, constantPicker({ type: "pick", subchannel: entry.sc }));
  }

  /** The connection was lost: go IDLE, reconnecting from the first address on the next call. */
  private lostSelected(entry: Entry): void {
    this.selected = undefined;
    this.remove(entry.sc.addresses[0].addr, entry);
    this.stopPass();
    this.sticky = false;
    let asked = false;
    const picker: Picker = {
      pick: () => {
        if (!asked) {
          asked = true;
          queueMicrotask(() => this.exitIdle());
        }
        return { type: "queue" };
      },
    };
    this.report(ConnectivityState.IDLE, picker);
    this.cc.requestReresolution();
  }

  private stopPass(): void {
    this.index = -1;
    this.clearAttemptTimer();
  }

  /** Unless `i` is the last address, tries the next one too if this attempt is still running after the delay. */
  private armAttemptTimer(i: number): void {
    this.clearAttemptTimer();
    if (i + 1 >= this.addresses.length) return;
    this.attemptTimer = setTimeout(this.onAttemptTimer, connectionAttemptDelayMs);
    this.attemptTimer.unref?.();
  }

  private clearAttemptTimer(): void {
    if (this.attemptTimer === undefined) return;
    clearTimeout(this.attemptTimer);
    this.attemptTimer = undefined;
  }

  private reportFailure(): void {
    const why = this.lastError?.rawMessage ?? "no connection succeeded";
    this.report(ConnectivityState.TRANSIENT_FAILURE, failPicker(new GrpcError(Code.UNAVAILABLE, `pick_first: all addresses failed; last error: ${why}`)));
  }

  private report(state: ConnectivityState, picker: Picker): void {
    this.state = state;
    this.cc.updateState({ state, picker });
  }

  private remove(addr: string, entry: Entry): void {
    if (entry === this.selected) this.selected = undefined;
    this.entries.delete(addr);
    entry.unwatch();
    entry.sc.shutdown();
  }

  private shutdownAll(): void {
    for (const [addr, e] of this.entries) this.remove(addr, e);
    this.selected = undefined;
  }
}

function failPicker(error: GrpcError): Picker {
  return constantPicker({ type: "fail", error });
}

function sameOrder(a: readonly Address[], b: readonly Address[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].addr !== b[i].addr) return false;
  return true;
}
