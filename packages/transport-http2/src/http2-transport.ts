/**
 * The transport builder: core's TransportBuilder on node:http2, with the settings,
 * node:http2 session options and keepalive every connection and listener starts from.
 */
import {
  keepaliveLimits,
  resolveClientKeepalive,
  resolveEnforcement,
  resolveServerKeepalive,
  type ClientKeepalive,
  type ClientKeepaliveOptions,
  type ConnectionManagement,
  type Http2Settings,
  type KeepaliveEnforcementOptions,
  type KeepaliveLimits,
  type ServerKeepaliveOptions,
  type TransportBuilder,
} from "@grpckit/core";
import { connectHttp2 } from "./client-transport.js";
import { defaultMaxResetsPerSecond } from "./reset-flood-guard.js";
import { listenHttp2 } from "./server-listener.js";
import { defaultMaxSessionMemory, mergeSettings } from "./settings.js";

/** Options of {@link http2Transport}. */
export interface Http2TransportOptions {
  /**
   * HTTP/2 settings for both sides. Settings given to a single `connect` or `listen`
   * win over these. Defaults: a 1 MiB stream window and a 16 MiB connection window.
   */
  settings?: Http2Settings;
  /**
   * node:http2's per-session memory limit in megabytes. node counts DATA waiting to be
   * sent against it, so the default is unlimited: the limit would otherwise fail any
   * message larger than itself.
   */
  maxSessionMemory?: number;
  /** Unanswered PINGs allowed per connection (node:http2's default is 10). */
  maxOutstandingPings?: number;
  /**
   * Client keepalive (gRFC A8) on every connection this transport makes. Off by default.
   * A GOAWAY ENHANCE_YOUR_CALM "too_many_pings" from a server doubles `timeMs` for
   * the connections the transport makes afterwards.
   */
  keepalive?: ClientKeepaliveOptions;
  /** Server keepalive and connection management (gRFC A9) on every connection a listener accepts. */
  serverKeepalive?: ServerKeepaliveOptions;
  /** How listeners treat the PINGs clients send; clients that ping too often are disconnected. */
  keepaliveEnforcement?: KeepaliveEnforcementOptions;
  /**
   * The rapid-reset defence (CVE-2023-44487): a client that resets more than this many
   * unfinished streams within one second on a connection is told GOAWAY
   * ENHANCE_YOUR_CALM "too_many_resets" and disconnected. Default 500; `Infinity` turns
   * the guard off.
   */
  maxResetsPerSecond?: number;
}

/**
 * A transport on Node's own node:http2, registered under the name "http2".
 *
 * @example
 * const channel = createChannel("dns:///api.internal:443", {
 *   transport: http2Transport({ keepalive: { timeMs: 30_000 } }),
 * });
 * const server = createServer({
 *   transport: http2Transport({ keepaliveEnforcement: { minTimeMs: 20_000 }, serverKeepalive: { maxConnectionAgeMs: 600_000 } }),
 * });
 */
export function http2Transport(options: Http2TransportOptions = {}): TransportBuilder {
  return createHttp2Transport(options, keepaliveLimits);
}

/**
 * {@link http2Transport} with the smallest keepalive intervals given explicitly. Not
 * exported from the package: the package's own tests use it to run keepalive in
 * milliseconds rather than seconds.
 */
export function createHttp2Transport(options: Http2TransportOptions, limits: KeepaliveLimits): TransportBuilder {
  const maxSessionMemory = options.maxSessionMemory ?? defaultMaxSessionMemory;
  const maxOutstandingPings = options.maxOutstandingPings;
  const maxResetsPerSecond = options.maxResetsPerSecond ?? defaultMaxResetsPerSecond;
  if (!(maxResetsPerSecond >= 0)) throw new RangeError(`maxResetsPerSecond must be 0 or more, got ${maxResetsPerSecond}`);
  let keepalive: ClientKeepalive = resolveClientKeepalive(options.keepalive, limits);
  const management: ConnectionManagement = {
    keepalive: resolveServerKeepalive(options.serverKeepalive, limits),
    enforcement: resolveEnforcement(options.keepaliveEnforcement),
  };
  // As grpc-go's ClientConn does: a server that found our pings too frequent gets half as many.
  const onTooManyPings = () => {
    keepalive = { ...keepalive, timeMs: keepalive.timeMs * 2 };
  };
  return {
    name: "http2",
    connect(address, connectOptions) {
      return connectHttp2(address, connectOptions, {
        settings: mergeSettings(options.settings, connectOptions.settings),
        maxSessionMemory,
        maxOutstandingPings,
        keepalive,
        onTooManyPings,
      });
    },
    listen(address, listenOptions) {
      return listenHttp2(address, listenOptions, {
        settings: mergeSettings(options.settings, listenOptions.settings),
        maxSessionMemory,
        maxOutstandingPings,
        management,
        maxResetsPerSecond,
      });
    },
  };
}
