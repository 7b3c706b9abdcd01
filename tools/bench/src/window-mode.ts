/**
 * The flow-control windows a grpckit on transport-h2 bench process runs with, chosen by
 * `--window` on its command line: transport-h2's BDP estimator (the default: windows
 * start at 64 KiB and grow), fixed 16 MiB stream and connection windows, or the fixed
 * 4 MiB per stream and 16 MiB per connection transport-h2 advertised before the estimator.
 */
import type { H2TransportOptions } from "@grpckit/transport-h2";

export const WINDOW_MODES = ["bdp", "fixed-16m", "fixed-4m"] as const;
export type WindowMode = (typeof WINDOW_MODES)[number];

/** Names used in reports. */
export const WINDOW_LABEL: Record<WindowMode, string> = {
  bdp: "BDP estimator (64 KiB, growing to 16 MiB)",
  "fixed-16m": "fixed 16 MiB stream and connection windows",
  "fixed-4m": "fixed 4 MiB stream, 16 MiB connection windows",
};

/** The transport-h2 options of `mode`: a set window turns the estimator off. */
export function windowTransportOptions(mode: WindowMode): H2TransportOptions {
  switch (mode) {
    case "bdp":
      return {};
    case "fixed-16m":
      return { settings: { initialWindowSize: 16 << 20, connectionWindowSize: 16 << 20 } };
    case "fixed-4m":
      return { settings: { initialWindowSize: 4 << 20, connectionWindowSize: 16 << 20 } };
  }
}

/** The mode given with `--window` (the estimator when absent); throws on an unknown one. */
export function windowModeArg(argv: readonly string[] = process.argv.slice(2)): WindowMode {
  const index = argv.indexOf("--window");
  if (index === -1) return "bdp";
  const value = argv[index + 1];
  if (!(WINDOW_MODES as readonly string[]).includes(value)) throw new Error(`--window must be one of ${WINDOW_MODES.join(", ")}, got "${value}"`);
  return value as WindowMode;
}
