/**
 * Name resolution, shaped like grpc-go's resolver package: a builder registered by
 * scheme builds a Resolver for one target; the resolver pushes what it finds to the
 * channel through a narrow ResolverClientConn.
 */
import type { Target } from "./target.js";

/** One network address of a backend. */
export interface Address {
  /** "host:port", "[v6]:port", "unix:/path", or a transport-specific name. */
  readonly addr: string;
  /** The name to use for TLS server-name checks, when it differs from the target's authority. */
  readonly serverName?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** One backend, reachable at any of its addresses (dual-stack backends have several). */
export interface Endpoint {
  readonly addresses: readonly Address[];
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** What a resolver found. */
export interface ResolverState {
  readonly endpoints: readonly Endpoint[];
  /** Service config JSON text from the name system, if any. */
  readonly serviceConfig?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** What a resolver may do to its channel. */
export interface ResolverClientConn {
  updateState(state: ResolverState): void;
  /** Resolution failed; the error's message is surfaced to calls as UNAVAILABLE. */
  reportError(error: Error): void;
}

export interface Resolver {
  /** A hint to resolve again soon (for example after a connection was lost). */
  resolveNow(): void;
  close(): void;
}

export interface ResolverBuildOptions {
  /** The authority the channel will use for its calls. */
  readonly authority: string;
}

export interface ResolverBuilder {
  /** The URI scheme this builder resolves ("dns", "passthrough", ...). */
  readonly name: string;
  build(target: Target, cc: ResolverClientConn, options: ResolverBuildOptions): Resolver;
  /** The default :authority for a target of this scheme; the endpoint when absent. */
  defaultAuthority?(target: Target): string;
}
