/**
 * Logs and traces, controlled as in grpc-go and grpc-js:
 *
 * - GRPC_VERBOSITY: DEBUG, INFO, ERROR (the default) or NONE — the least severe
 *   message written;
 * - GRPC_TRACE: a comma-separated list of tracers to turn on ("channel,subchannel"),
 *   "all", and "-name" to leave one out ("all,-call"). Traces are written at DEBUG, so
 *   they also need GRPC_VERBOSITY=DEBUG.
 *
 * Messages go to a pluggable logger (console by default). Both variables are read
 * once, when the first copy of core in the process loads; setLogVerbosity and
 * setTracers change them later, for every copy.
 */
import { processWide } from "../registry/process-state.js";

/** Log levels from least to most severe, then NONE; lines below the level set (GRPC_VERBOSITY) are not written. */
export enum LogVerbosity {
  DEBUG = 0,
  INFO = 1,
  ERROR = 2,
  NONE = 3,
}

/** Where log lines go; each method receives the formatted line. */
export interface Logger {
  error(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** The tracers core and the grpckit packages write to. */
export const knownTracers = [
  "channel",
  "subchannel",
  "resolver",
  "balancer",
  "call",
  "retry",
  "server",
  "server_call",
  "transport",
  "keepalive",
  "health_check",
  "channelz",
  "orca",
  "authz",
  "credentials_tls",
  "proxy",
] as const;

const consoleLogger: Logger = {
  error: (m) => console.error(m),
  info: (m) => console.info(m),
  debug: (m) => console.debug(m),
};

interface LogSettings {
  logger: Logger;
  verbosity: LogVerbosity;
  tracers: TracerSet;
}

// One logger, verbosity and tracer set for every copy of core in the process.
const settings: LogSettings = processWide("logging", () => ({
  logger: consoleLogger,
  verbosity: parseVerbosity(process.env.GRPC_VERBOSITY) ?? LogVerbosity.ERROR,
  tracers: parseTracers(process.env.GRPC_TRACE ?? ""),
}));

function parseVerbosity(value: string | undefined): LogVerbosity | undefined {
  switch (value?.toUpperCase()) {
    case "DEBUG":
      return LogVerbosity.DEBUG;
    case "INFO":
      return LogVerbosity.INFO;
    case "ERROR":
      return LogVerbosity.ERROR;
    case "NONE":
      return LogVerbosity.NONE;
    default:
      return undefined;
  }
}

interface TracerSet {
  all: boolean;
  on: Set<string>;
  off: Set<string>;
}

function parseTracers(list: string): TracerSet {
  const set: TracerSet = { all: false, on: new Set(), off: new Set() };
  for (const raw of list.split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    if (name === "all") set.all = true;
    else if (name.startsWith("-")) set.off.add(name.slice(1));
    else set.on.add(name);
  }
  return set;
}

/** Sends log lines to `l` instead of the console. */
export function setLogger(l: Logger): void {
  settings.logger = l;
}

export function getLogger(): Logger {
  return settings.logger;
}

/** The least severe level written (GRPC_VERBOSITY). */
export function setLogVerbosity(v: LogVerbosity): void {
  settings.verbosity = v;
}

/** Replaces the tracers turned on, in GRPC_TRACE's syntax. */
export function setTracers(list: string): void {
  settings.tracers = parseTracers(list);
}

/** Whether `tracer`'s lines would be written now: check it before building a costly message. */
export function isTracerEnabled(tracer: string): boolean {
  if (settings.verbosity > LogVerbosity.DEBUG) return false;
  const tracers = settings.tracers;
  if (tracers.off.has(tracer)) return false;
  return tracers.all || tracers.on.has(tracer);
}

type Severity = LogVerbosity.DEBUG | LogVerbosity.INFO | LogVerbosity.ERROR;

const severityName: Record<Severity, string> = { [LogVerbosity.DEBUG]: "D", [LogVerbosity.INFO]: "I", [LogVerbosity.ERROR]: "E" };

function write(severity: Severity, line: string): void {
  const text = `${new Date().toISOString()} ${severityName[severity]} ${line}`;
  const logger = settings.logger;
  if (severity === LogVerbosity.ERROR) logger.error(text);
  else if (severity === LogVerbosity.INFO) logger.info(text);
  else logger.debug(text);
}

/** Writes a log line at `severity` when GRPC_VERBOSITY lets it through. */
export function log(severity: Severity, message: string): void {
  if (severity >= settings.verbosity) write(severity, message);
}

/** Writes a trace line of `tracer` when that tracer is on. */
export function trace(tracer: string, message: string): void {
  if (isTracerEnabled(tracer)) write(LogVerbosity.DEBUG, `${tracer} | ${message}`);
}

/**
 * A Logger for one component (a balancer of one channel, say): its lines go through
 * `log` with `prefix` in front, so GRPC_VERBOSITY and `setLogger` govern them; its
 * `debug` lines are traces of `tracer`, written only when that tracer is on.
 */
export function componentLogger(tracer: string, prefix: string): Logger {
  return {
    error: (message) => log(LogVerbosity.ERROR, `${prefix}: ${message}`),
    info: (message) => log(LogVerbosity.INFO, `${prefix}: ${message}`),
    debug: (message) => trace(tracer, `${prefix}: ${message}`),
  };
}
