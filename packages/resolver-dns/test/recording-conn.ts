/** A ResolverClientConn that records what a resolver delivers, for tests to await. */
import type { ResolverClientConn, ResolverState, Target } from "@grpckit/core";

export type Delivery = { kind: "state"; state: ResolverState; at: number } | { kind: "error"; error: Error; at: number };

export class RecordingConn implements ResolverClientConn {
  readonly deliveries: Delivery[] = [];
  private waiters: (() => void)[] = [];

  updateState(state: ResolverState): void {
    this.push({ kind: "state", state, at: Date.now() });
  }

  reportError(error: Error): void {
    this.push({ kind: "error", error, at: Date.now() });
  }

  /** Resolves with delivery number `index` (0-based), or rejects after `ms`. */
  async nth(index: number, ms = 3000): Promise<Delivery> {
    const deadline = Date.now() + ms;
    while (this.deliveries.length <= index) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for delivery #${index + 1} (got ${this.deliveries.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.deliveries[index];
  }

  /** The addresses of delivery `index`, which must be a state. */
  async addresses(index: number): Promise<string[]> {
    const d = await this.nth(index);
    if (d.kind !== "state") throw new Error(`expected addresses, got error: ${d.error.message}`);
    return d.state.endpoints.flatMap((e) => e.addresses.map((a) => a.addr));
  }

  /** The state of delivery `index`, which must be a state. */
  async state(index: number): Promise<ResolverState> {
    const d = await this.nth(index);
    if (d.kind !== "state") throw new Error(`expected a state, got error: ${d.error.message}`);
    return d.state;
  }

  /** The error of delivery `index`, which must be an error. */
  async error(index: number): Promise<Error> {
    const d = await this.nth(index);
    if (d.kind !== "error") throw new Error(`expected an error, got state ${JSON.stringify(d.state)}`);
    return d.error;
  }

  private push(d: Delivery): void {
    this.deliveries.push(d);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** A Target as core's parser makes it for `dns://authority/endpoint`. */
export function dnsTarget(endpoint: string, authority = ""): Target {
  return { scheme: "dns", authority, endpoint, raw: `dns://${authority}/${endpoint}` };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
