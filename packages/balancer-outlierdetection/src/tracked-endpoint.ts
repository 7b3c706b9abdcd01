/**
 * What outlier detection keeps per endpoint (gRFC A50's address map entry, per endpoint
 * since gRFC A61): its call counts, whether and since when it is ejected, its ejection
 * time multiplier, and the subchannels the child policy holds for it. It outlives any
 * one subchannel, so counts and ejection carry over when the child makes a new one.
 */
import type { GrpcError } from "@grpckit/core";
import { CallCounter } from "./call-counter.js";

/** A subchannel that outlier detection can report as failed to its child, and restore. */
export interface Ejectable {
  eject(reason: GrpcError): void;
  uneject(): void;
}

export class TrackedEndpoint {
  readonly calls = new CallCounter();
  /** When the endpoint was last ejected (ms since the epoch); undefined while it is not ejected. */
  ejectedAt: number | undefined;
  /** Grows by one with each ejection and shrinks by one each interval the endpoint is not ejected. */
  multiplier = 0;
  /** The child's subchannels for this endpoint that are not shut down. */
  readonly subchannels = new Set<Ejectable>();
  /** Why the subchannels report TRANSIENT_FAILURE while ejected. */
  private reason: GrpcError | undefined;

  constructor(
    /** The endpoint's addresses, as the child and the logs name it. */
    readonly name: string,
  ) {}

  get ejected(): boolean {
    return this.ejectedAt !== undefined;
  }

  /** Ejects the endpoint (again, if it already is: the ejection restarts and lasts longer). */
  eject(now: number, reason: GrpcError): void {
    this.ejectedAt = now;
    this.multiplier++;
    this.reason = reason;
    for (const sc of this.subchannels) sc.eject(reason);
  }

  uneject(): void {
    this.ejectedAt = undefined;
    this.reason = undefined;
    for (const sc of this.subchannels) sc.uneject();
  }

  /** Adds a subchannel of the child's, and gives it the endpoint's ejection: ejected if the endpoint is, else not. */
  attach(sc: Ejectable): void {
    this.subchannels.add(sc);
    if (this.reason !== undefined) sc.eject(this.reason);
    else sc.uneject();
  }

  /** Stops tracking a subchannel (shut down, or now of another endpoint). */
  detach(sc: Ejectable): void {
    this.subchannels.delete(sc);
  }
}
