/**
 * The transport builder: core's TransportBuilder on grpckit's own HTTP/2, with the
 * settings and flood limits every connection and listener starts from.
 */
import {
  keepaliveLimits,
  maxTimerMs,
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
import { connectH2 } from "./client-connect.js";
import type { FloodLimits, LocalSettings } from "./connection.js";
import { defaultInitialWindowSize, maxWindowSize, maxMaxFrameSize, minMaxFrameSize } from "./frame.js";
import { listenH2 } from "./server-listener.js";

/** Options of {@link h2Transport}. */
export interface H2TransportOptions {
  /**
   * HTTP/2 settings for both sides; settings given to one `connect` or `listen` win.
   * Defaults: windows sized by a BDP estimator (stream and connection windows start at
   * 64 KiB and grow from PING-timed samples of what the link carries, up to 16 MiB), no
   * stream limit, 16 KiB frames and a 64 KiB header list. Setting `initialWindowSize`
   * or `connectionWindowSize` turns the estimator off: the windows are fixed, the one
   * not set at its former default (4 MiB per stream, 16 MiB per connection).
   */
  settings?: Http2Settings;
  /**
   * A server's budget of stream resets a client may cause, refilled at this many per
   * second and by each stream that ends normally; a client that spends it gets GOAWAY
   * ENHANCE_YOUR_CALM "too_many_resets" (rapid reset, CVE-2023-44487; MadeYouReset,
   * CVE-2025-8671). Counted: the client's RST_STREAM on a stream whose request it had
   * not finished, and each stream the server resets over the client's frames. Not
   * counted: resets after a complete request (deadlines, hedging, cancellation).
   * Default 500.
   */
  maxResetsPerSecond?: number;
  /**
   * @deprecated No longer used: PINGs are not limited by rate. A server counts the PINGs
   * that follow no DATA or HEADERS of its own against the keepalive policy
   * (`keepaliveEnforcement`), and stops reading a peer whose ACKs queue up unread.
   */
  maxPingsPerSecond?: number;
  /**
   * @deprecated No longer used: SETTINGS are not limited by rate. A server stops reading
   * a peer whose SETTINGS ACKs queue up unread.
   */
  maxSettingsPerSecond?: number;
  /** More empty DATA frames (without END_STREAM) than this in one second end the connection. Default 1000. */
  maxEmptyDataFramesPerSecond?: number;
  /** More CONTINUATION frames than this in one header block end the connection. Default 64. */
  maxContinuationFrames?: number;
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
}

const defaults = {
  // The fixed windows when the user sets one of them. A one-stream bulk transfer over
  // loopback stalled on a 1 MiB window, waiting for WINDOW_UPDATEs; the connection
  // window still bounds what a connection holds.
  initialWindowSize: 4 << 20,
  connectionWindowSize: 16 << 20,
  dynamicWindow: true,
  maxConcurrentStreams: Infinity,
  maxFrameSize: minMaxFrameSize,
  maxHeaderListSize: 64 << 10,
  headerTableSize: 4096,
} as const satisfies LocalSettings;

/**
 * grpckit's own HTTP/2 transport, registered under the name "h2": HTTP/2 and HPACK
 * written for gRPC's hot path, over node:net or any socket credentials hand back.
 *
 * @example
 * const server = createServer({ transport: h2Transport() });
 * const channel = createChannel("dns:///api.internal:443", { transport: h2Transport() });
 */
export function h2Transport(options: H2TransportOptions = {}): TransportBuilder {
  return createH2Transport(options, keepaliveLimits);
}

/**
 * {@link h2Transport} with the smallest keepalive intervals given explicitly. Not
 * exported from the package: its tests run keepalive in milliseconds.
 */
export function createH2Transport(options: H2TransportOptions, keepaliveMinimums: KeepaliveLimits): TransportBuilder {
  const limits: FloodLimits = {
    maxResetsPerSecond: nonNegative("maxResetsPerSecond", options.maxResetsPerSecond ?? 500),
    maxEmptyDataFramesPerSecond: nonNegative("maxEmptyDataFramesPerSecond", options.maxEmptyDataFramesPerSecond ?? 1000),
    maxContinuationFrames: nonNegative("maxContinuationFrames", options.maxContinuationFrames ?? 64),
  };
  // Still checked, so a value that was an error stays one.
  nonNegative("maxPingsPerSecond", options.maxPingsPerSecond ?? 0);
  nonNegative("maxSettingsPerSecond", options.maxSettingsPerSecond ?? 0);
  const base = resolveSettings(defaults, options.settings);
  let keepalive: ClientKeepalive = resolveClientKeepalive(options.keepalive, keepaliveMinimums);
  const management: ConnectionManagement = {
    keepalive: resolveServerKeepalive(options.serverKeepalive, keepaliveMinimums),
    enforcement: resolveEnforcement(options.keepaliveEnforcement),
  };
  // As grpc-go's ClientConn does: a server that found our pings too frequent gets half as many.
  const onTooManyPings = () => {
    keepalive = { ...keepalive, timeMs: keepalive.timeMs * 2 };
  };
  return {
    name: "h2",
    connect(address, connectOptions) {
      // setTimeout fires at once for a delay past 2^31-1 ms: a longer connect timeout means none shorter.
      const timeout = connectOptions.connectTimeoutMs;
      if (timeout !== undefined && !(timeout <= maxTimerMs)) connectOptions = { ...connectOptions, connectTimeoutMs: maxTimerMs };
      return connectH2(address, connectOptions, resolveSettings(base, connectOptions.settings), limits, keepalive, onTooManyPings);
    },
    listen(address, listenOptions) {
      return listenH2(address, listenOptions, resolveSettings(base, listenOptions.settings), limits, management);
    },
  };
}

/** `over` on top of `base`, each value checked against the range RFC 9113 allows. */
function resolveSettings(base: LocalSettings, over: Http2Settings | undefined): LocalSettings {
  if (over === undefined) return base;
  const s = { ...base };
  // A window the user sets is the window: the BDP estimator is off.
  if (over.initialWindowSize !== undefined) {
    s.initialWindowSize = inRange("initialWindowSize", over.initialWindowSize, 0, maxWindowSize);
    s.dynamicWindow = false;
  }
  if (over.connectionWindowSize !== undefined) {
    s.connectionWindowSize = inRange("connectionWindowSize", over.connectionWindowSize, defaultInitialWindowSize, maxWindowSize);
    s.dynamicWindow = false;
  }
  if (over.maxConcurrentStreams !== undefined) s.maxConcurrentStreams = inRange("maxConcurrentStreams", over.maxConcurrentStreams, 0, 0xffffffff);
  if (over.maxFrameSize !== undefined) s.maxFrameSize = inRange("maxFrameSize", over.maxFrameSize, minMaxFrameSize, maxMaxFrameSize);
  if (over.maxHeaderListSize !== undefined) s.maxHeaderListSize = inRange("maxHeaderListSize", over.maxHeaderListSize, 0, 0xffffffff);
  return s;
}

function inRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`HTTP/2 setting ${name} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0)) throw new RangeError(`${name} must be 0 or more, got ${value}`);
  return value;
}
