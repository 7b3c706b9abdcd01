/**
 * Producers, as grpc-go calls them: something a policy runs on one subchannel's
 * connection, shared by everyone who asks for the same kind on that subchannel. The
 * health checker and the ORCA out-of-band listener are producers; a plug-in can write
 * its own (a stream of its own protocol to each backend) on the same seam.
 */
import type { Subchannel } from "../balancer/balancer.js";
import { innermostSubchannel } from "../balancer/subchannel-wrapper.js";
import type { Address } from "../resolver/resolver.js";
import type { ClientConnection } from "./client-call.js";

/** What a producer gets of the subchannel it runs on. */
export interface ProducerContext {
  /** The subchannel's addresses. */
  readonly addresses: readonly Address[];
  /**
   * Follows the subchannel's connection: `listener` hears a ClientConnection each time
   * the subchannel connects (as soon as it is READY, before any health check), and
   * undefined when that connection is lost or the subchannel shuts down. It hears the
   * current connection at once when there is one. Calls made with
   * `createClient(service, connection)` go over that connection only, with no
   * interceptors. Returns a function that stops listening.
   */
  watchConnection(listener: (connection: ClientConnection | undefined) => void): () => void;
}

/** Builds one kind of producer; the builder object itself names the kind. */
export interface ProducerBuilder<P> {
  /** Builds the producer for one subchannel; `close` runs when its last user releases it or the subchannel shuts down. */
  build(context: ProducerContext): { readonly producer: P; close(): void };
}

/** A producer, and the way to say this user no longer needs it. */
export interface ProducerHandle<P> {
  readonly producer: P;
  /** Releases this use; the producer closes with its last one. Calling it again does nothing. */
  release(): void;
}

/**
 * Where a channel's subchannel keeps its producers. A Symbol.for key, so a policy
 * built with one copy of core reaches producers of a channel made by another.
 */
export const producersKey: unique symbol = Symbol.for("@grpckit/core/subchannel-producers") as never;

/** What a subchannel that can run producers has under producersKey. */
export type ProducerHost = <P>(builder: ProducerBuilder<P>) => ProducerHandle<P>;

/**
 * The producer `builder` makes for `subchannel`: built on first use, shared by every
 * later user of the same builder on the same subchannel, closed when all of them have
 * released it (or the subchannel shuts down). `subchannel` may be a SubchannelWrapper:
 * the producer runs on the subchannel the channel made.
 *
 * @example
 * const handle = getOrBuildProducer(subchannel, myStreamProducer);
 * handle.producer.onReport((r) => …);
 * // later
 * handle.release();
 */
export function getOrBuildProducer<P>(subchannel: Subchannel, builder: ProducerBuilder<P>): ProducerHandle<P> {
  const host = (innermostSubchannel(subchannel) as { [producersKey]?: ProducerHost })[producersKey];
  if (host === undefined) {
    throw new Error(
      "getOrBuildProducer needs a subchannel made by a channel's BalancerClientConn.createSubchannel (or a SubchannelWrapper around one)",
    );
  }
  return host(builder);
}

interface Entry {
  readonly producer: unknown;
  readonly close: () => void;
  users: number;
}

/** The producers of one subchannel, counted by users. */
export class ProducerSet {
  private readonly entries = new Map<ProducerBuilder<unknown>, Entry>();
  private closed = false;

  constructor(private readonly context: ProducerContext) {}

  get<P>(builder: ProducerBuilder<P>): ProducerHandle<P> {
    if (this.closed) throw new Error("the subchannel is shut down: it runs no producers");
    let entry = this.entries.get(builder);
    if (entry === undefined) {
      const built = builder.build(this.context);
      entry = { producer: built.producer, close: () => built.close(), users: 0 };
      this.entries.set(builder, entry);
    }
    entry.users++;
    let released = false;
    const e = entry;
    return {
      producer: e.producer as P,
      release: () => {
        if (released) return;
        released = true;
        if (--e.users > 0 || this.entries.get(builder) !== e) return;
        this.entries.delete(builder);
        e.close();
      },
    };
  }

  /** Closes every producer: the subchannel shut down. */
  close(): void {
    this.closed = true;
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const e of entries) e.close();
  }
}
