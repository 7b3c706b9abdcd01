/**
 * A resolver whose results a program pushes by hand, like grpc-go's resolver/manual:
 * tests and programs that discover backends themselves pass it in a channel's
 * `resolvers` option and target `<scheme>:///anything`.
 */
import type { Resolver, ResolverBuilder, ResolverClientConn, ResolverState } from "./resolver.js";

/** A ResolverBuilder that forwards what it is told to the channel that built it. */
export interface ManualResolver extends ResolverBuilder {
  /** Publishes addresses; before the channel builds the resolver, they are kept and delivered on build. */
  updateState(state: ResolverState): void;
  /** Reports a resolution failure to the channel (kept for delivery on build, like a state). */
  reportError(error: Error): void;
  /** How many times the channel asked to resolve again. */
  readonly lastResolveNowCount: number;
  /** Called each time the channel asks to resolve again. */
  onResolveNow: (() => void) | undefined;
  /** Whether the channel has built (and not closed) the resolver. */
  readonly built: boolean;
}

type Pending = { kind: "state"; state: ResolverState } | { kind: "error"; error: Error };

/** Creates a manual resolver for `scheme` ("manual" by default). */
export function createManualResolver(scheme = "manual"): ManualResolver {
  let cc: ResolverClientConn | undefined;
  let last: Pending | undefined;
  let resolveNowCount = 0;
  const deliver = (p: Pending) => {
    last = p;
    if (cc === undefined) return;
    if (p.kind === "state") cc.updateState(p.state);
    else cc.reportError(p.error);
  };
  const manual: ManualResolver = {
    name: scheme,
    build(_target, conn): Resolver {
      const mine = conn;
      cc = mine;
      const initial = last;
      if (initial !== undefined) {
        queueMicrotask(() => {
          if (cc === mine && last === initial) deliver(initial);
        });
      }
      return {
        resolveNow() {
          if (cc !== mine) return;
          resolveNowCount++;
          manual.onResolveNow?.();
        },
        close() {
          if (cc === mine) cc = undefined;
        },
      };
    },
    updateState(state) {
      deliver({ kind: "state", state });
    },
    reportError(error) {
      deliver({ kind: "error", error });
    },
    get lastResolveNowCount() {
      return resolveNowCount;
    },
    onResolveNow: undefined,
    get built() {
      return cc !== undefined;
    },
  };
  return manual;
}
