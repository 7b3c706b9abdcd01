/**
 * The HTTP/2 settings and node:http2 session options both sides start from, and how
 * per-connection settings override the transport's.
 */
import type { FlowControlWindows, Http2Settings } from "@grpckit/core";
import type { Http2Session, Settings } from "node:http2";

/**
 * Window defaults. node:http2 opens both windows at 64 KiB, so a large message
 * crawls one window per round trip through the event loop (10 MiB over loopback took
 * about 1.6x as long with 64 KiB as with 1 MiB here). grpc-go starts at 64 KiB and grows
 * towards 16 MiB by BDP estimation; node cannot grow a window, so a fixed middle is used:
 *
 * - 1 MiB per stream: what a paused reader may have buffered per stream, so this is the
 *   bound on memory held for a slow reader.
 * - 16 MiB per connection: node credits the connection window as soon as bytes arrive
 *   (only the stream window waits for the reader), so a large connection window holds
 *   no extra memory; it only keeps one busy stream from starving the others.
 */
export const defaultSettings = {
  initialWindowSize: 1 << 20,
  connectionWindowSize: 16 << 20,
} as const satisfies Http2Settings;

/**
 * node:http2's maxSessionMemory (in MB) counts DATA queued for sending, so with node's
 * 10 MB default a single message larger than 10 MB fails with ENHANCE_YOUR_CALM. What
 * bounds memory here is core's backpressure and message-size limits, so the limit is
 * lifted unless the user sets one.
 */
export const defaultMaxSessionMemory = Number.MAX_SAFE_INTEGER;

/** Later settings win over earlier ones, field by field; the defaults come first. */
export function mergeSettings(...layers: (Http2Settings | undefined)[]): Http2Settings {
  const merged: Http2Settings = { ...defaultSettings };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const key of Object.keys(layer) as (keyof Http2Settings)[]) {
      const value = layer[key];
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged;
}

/** The SETTINGS frame node:http2 sends; the connection window is not a SETTINGS parameter. */
export function toNodeSettings(settings: Http2Settings): Settings {
  const out: Settings = { enablePush: false };
  if (settings.initialWindowSize !== undefined) out.initialWindowSize = settings.initialWindowSize;
  if (settings.maxConcurrentStreams !== undefined) out.maxConcurrentStreams = settings.maxConcurrentStreams;
  if (settings.maxHeaderListSize !== undefined) out.maxHeaderListSize = settings.maxHeaderListSize;
  if (settings.maxFrameSize !== undefined) out.maxFrameSize = settings.maxFrameSize;
  return out;
}

/** A session's connection-level windows, as node reports them (for channelz). */
export function sessionWindows(session: Http2Session): FlowControlWindows | undefined {
  if (session.destroyed) return undefined;
  const state = session.state;
  return { local: state.effectiveLocalWindowSize, remote: state.remoteWindowSize };
}
