/**
 * Keepalive and connection-management options (gRFC A8 and A9, grpc-go's keepalive
 * package): what a user may set, the defaults, and the limits applied to them.
 */

/** Client keepalive (gRFC A8), for every connection a transport makes. */
export interface ClientKeepaliveOptions {
  /**
   * Sends a PING after this long without reading anything from the server. Default:
   * off (Infinity). Values below 10 000 ms are raised to 10 000 ms, as grpc-go does.
   */
  timeMs?: number;
  /** Closes the connection when the PING is not acknowledged within this. Default 20 000 ms. */
  timeoutMs?: number;
  /** Pings even when no call is open on the connection. Default false. */
  permitWithoutCalls?: boolean;
}

/** Server keepalive and connection management (grpc-go's ServerParameters, gRFC A9). */
export interface ServerKeepaliveOptions {
  /** Pings a client after this long without reading from it. Default 2 h; at least 1 000 ms. */
  timeMs?: number;
  /** Closes the connection when that PING is not acknowledged within this. Default 20 000 ms. */
  timeoutMs?: number;
  /** Sends GOAWAY to a connection that has had no open stream for this long. Default off. */
  maxConnectionIdleMs?: number;
  /** Sends GOAWAY to a connection this old, give or take 10% at random. Default off. */
  maxConnectionAgeMs?: number;
  /** After the max-age GOAWAY, closes the connection when its streams still run after this. Default off. */
  maxConnectionAgeGraceMs?: number;
}

/** How a server treats the PINGs clients send (grpc-go's EnforcementPolicy). */
export interface KeepaliveEnforcementOptions {
  /** A client pinging more often than this earns a strike. Default 5 min. */
  minTimeMs?: number;
  /** Allows pings while no stream is open; when false they earn strikes. Default false. */
  permitWithoutCalls?: boolean;
}

/** Client keepalive with every field decided. */
export interface ClientKeepalive {
  readonly timeMs: number;
  readonly timeoutMs: number;
  readonly permitWithoutCalls: boolean;
}

/** Server keepalive with every field decided; Infinity means off. */
export interface ServerKeepalive {
  readonly timeMs: number;
  readonly timeoutMs: number;
  readonly maxConnectionIdleMs: number;
  readonly maxConnectionAgeMs: number;
  readonly maxConnectionAgeGraceMs: number;
}

/** Enforcement with every field decided. */
export interface KeepaliveEnforcement {
  readonly minTimeMs: number;
  readonly permitWithoutCalls: boolean;
}

/** The smallest keepalive intervals accepted; lower values are raised to these. */
export interface KeepaliveLimits {
  readonly minClientTimeMs: number;
  readonly minServerTimeMs: number;
}

/** grpc-go's limits: a client pings at most every 10 s, a server at most every second. */
export const keepaliveLimits: KeepaliveLimits = { minClientTimeMs: 10_000, minServerTimeMs: 1_000 };

const defaultTimeoutMs = 20_000;
const twoHoursMs = 2 * 60 * 60 * 1000;

/** A positive duration, or `fallback` when unset; throws on a negative or NaN value. */
function duration(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (Number.isNaN(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

export function resolveClientKeepalive(options: ClientKeepaliveOptions | undefined, limits: KeepaliveLimits): ClientKeepalive {
  const timeMs = duration(options?.timeMs, Infinity, "keepalive.timeMs");
  return {
    timeMs: Math.max(timeMs, limits.minClientTimeMs),
    timeoutMs: duration(options?.timeoutMs, defaultTimeoutMs, "keepalive.timeoutMs"),
    permitWithoutCalls: options?.permitWithoutCalls ?? false,
  };
}

export function resolveServerKeepalive(options: ServerKeepaliveOptions | undefined, limits: KeepaliveLimits): ServerKeepalive {
  const timeMs = duration(options?.timeMs, twoHoursMs, "serverKeepalive.timeMs");
  return {
    timeMs: Math.max(timeMs, limits.minServerTimeMs),
    timeoutMs: duration(options?.timeoutMs, defaultTimeoutMs, "serverKeepalive.timeoutMs"),
    maxConnectionIdleMs: duration(options?.maxConnectionIdleMs, Infinity, "serverKeepalive.maxConnectionIdleMs"),
    maxConnectionAgeMs: duration(options?.maxConnectionAgeMs, Infinity, "serverKeepalive.maxConnectionAgeMs"),
    maxConnectionAgeGraceMs: duration(options?.maxConnectionAgeGraceMs, Infinity, "serverKeepalive.maxConnectionAgeGraceMs"),
  };
}

export function resolveEnforcement(options: KeepaliveEnforcementOptions | undefined): KeepaliveEnforcement {
  const minTimeMs = options?.minTimeMs ?? 5 * 60 * 1000;
  if (Number.isNaN(minTimeMs) || minTimeMs < 0) {
    throw new RangeError(`keepaliveEnforcement.minTimeMs must be zero or more milliseconds, got ${minTimeMs}`);
  }
  return { minTimeMs, permitWithoutCalls: options?.permitWithoutCalls ?? false };
}

/** A duration made 10% longer or shorter at random, as A9 asks of max age. */
export function withJitter(ms: number): number {
  return ms + ms * 0.1 * (2 * Math.random() - 1);
}
