/**
 * What one soak run does: its counts, its bounds and where it writes, from the
 * command line. The defaults are the full run (`npm run soak`); the flags scale it down.
 */
import { fileURLToPath } from "node:url";
import { defaultTransportName, isTransportName, transportNames, type TransportName } from "@grpckit/transport-choice";

export interface SoakOptions {
  /** Unary calls in phase 1. */
  calls: number;
  /** Unary calls in flight at once, spread over `channels`. */
  concurrency: number;
  /** Channels (one HTTP/2 connection each) the unary calls share. */
  channels: number;
  /** Bidi streams open at once in phase 2. */
  streams: number;
  /** Channels the streams share. */
  streamChannels: number;
  /** Messages each stream sends and expects back. */
  messages: number;
  /** Payload bytes in every message. */
  payloadBytes: number;
  /** The largest server RSS growth after warm-up that passes, in percent. */
  growthTargetPercent: number;
  /** The whole run stops issuing work after this many seconds; a phase cut short fails. */
  maxSeconds: number;
  /** The HTTP/2 transport of both the server process and the client channels. */
  transport: TransportName;
  /** Where latest.json and latest.md are written. */
  outDir: string;
}

/** The directory results go to by default: tools/soak/results. */
export const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/** The first tenth of the unary calls warms the server up; growth is measured after it. */
export const WARMUP_FRACTION = 0.1;

export const defaultOptions: SoakOptions = {
  calls: 1_000_000,
  concurrency: 128,
  channels: 4,
  streams: 10_000,
  streamChannels: 8,
  messages: 20,
  payloadBytes: 100,
  growthTargetPercent: 10,
  maxSeconds: 1200,
  transport: defaultTransportName,
  outDir: RESULTS_DIR,
};

export const USAGE = `usage: node tools/soak/dist/main.js [options]

  --calls N             unary calls in phase 1 (default ${defaultOptions.calls})
  --concurrency N       unary calls in flight (default ${defaultOptions.concurrency})
  --channels N          channels for the unary calls (default ${defaultOptions.channels})
  --streams N           concurrent bidi streams in phase 2 (default ${defaultOptions.streams})
  --stream-channels N   channels for the streams (default ${defaultOptions.streamChannels})
  --messages N          messages per stream (default ${defaultOptions.messages})
  --payload-bytes N     payload of every message (default ${defaultOptions.payloadBytes})
  --growth-target PCT   largest RSS growth after warm-up that passes (default ${defaultOptions.growthTargetPercent})
  --max-seconds S       stop issuing work after S seconds; a phase cut short fails (default ${defaultOptions.maxSeconds})
  --transport NAME      HTTP/2 of the server and the client: ${transportNames.join(" or ")} (default ${defaultTransportName})
  --out DIR             write latest.json and latest.md to DIR (default tools/soak/results)

Every option may also be written --option=value.`;

const integerFlags = {
  "--calls": "calls",
  "--concurrency": "concurrency",
  "--channels": "channels",
  "--streams": "streams",
  "--stream-channels": "streamChannels",
  "--messages": "messages",
  "--payload-bytes": "payloadBytes",
} as const satisfies Record<string, keyof SoakOptions>;

/**
 * Parses the command line (`--option value` or `--option=value`); throws with the usage
 * text on an unknown flag or a bad value.
 */
export function parseOptions(argv: readonly string[]): SoakOptions {
  const options: SoakOptions = { ...defaultOptions };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") throw new Error(USAGE);
    const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = equals === -1 ? arg : arg.slice(0, equals);
    const value = equals === -1 ? argv[++i] : arg.slice(equals + 1);
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag in integerFlags) {
      const key = integerFlags[flag as keyof typeof integerFlags];
      const minimum = key === "payloadBytes" ? 0 : 1;
      options[key] = parseNumber(flag, value, minimum, true);
    } else if (flag === "--growth-target") {
      options.growthTargetPercent = parseNumber(flag, value, 0, false);
    } else if (flag === "--max-seconds") {
      options.maxSeconds = parseNumber(flag, value, 0, false);
    } else if (flag === "--transport") {
      if (!isTransportName(value)) throw new Error(`--transport wants ${transportNames.join(" or ")}, not "${value}"\n${USAGE}`);
      options.transport = value;
    } else if (flag === "--out") {
      options.outDir = value;
    } else {
      throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return options;
}

function parseNumber(flag: string, text: string, minimum: number, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < minimum || (integer && !Number.isInteger(value))) {
    throw new Error(`${flag} wants ${integer ? "an integer" : "a number"} >= ${minimum}, not "${text}"`);
  }
  return value;
}
