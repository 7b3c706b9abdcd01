/**
 * The transport builder: core's TransportBuilder on node:http2, with the settings
 * and node:http2 session options every connection and listener starts from.
 */
import type { Http2Settings, TransportBuilder } from "@grpckit/core";
import { connectHttp2 } from "./client-transport.js";
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
}

/**
 * A transport on Node's own node:http2, registered under the name "http2".
 *
 * @example
 * const channel = createChannel("dns:///api.internal:443", { transport: http2Transport() });
 * const server = createServer({ transport: http2Transport() });
 */
export function http2Transport(options: Http2TransportOptions = {}): TransportBuilder {
  const maxSessionMemory = options.maxSessionMemory ?? defaultMaxSessionMemory;
  const maxOutstandingPings = options.maxOutstandingPings;
  return {
    name: "http2",
    connect(address, connectOptions) {
      return connectHttp2(address, connectOptions, {
        settings: mergeSettings(options.settings, connectOptions.settings),
        maxSessionMemory,
        maxOutstandingPings,
      });
    },
    listen(address, listenOptions) {
      return listenHttp2(address, listenOptions, {
        settings: mergeSettings(options.settings, listenOptions.settings),
        maxSessionMemory,
        maxOutstandingPings,
      });
    },
  };
}
