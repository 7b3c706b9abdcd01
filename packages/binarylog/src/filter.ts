/**
 * The GRPC_BINARY_LOG_FILTER syntax of gRFC A16: which methods are logged, and how much
 * of their metadata and messages.
 *
 * A filter is a comma-separated list of entries:
 * - `*` logs every method; `package.Service/*` every method of a service;
 *   `package.Service/Method` one method.
 * - Each may end with limits: `{h:N}` logs at most N bytes of metadata and no message
 *   bytes, `{m:M}` at most M bytes of each message and no metadata, `{h:N;m:M}` both;
 *   `{h}` and `{m}` (or `{h;m}`) without a number mean no limit for that part, and no
 *   suffix at all logs everything in full.
 * - `-package.Service/Method` logs nothing for that method, whatever else matches it.
 *
 * A method's settings come from its exclusion, else its own entry, else its service's,
 * else `*`. An entry named twice, a limit on an exclusion, or anything that does not
 * parse is an error that says which entry and why.
 */

/** How much of a logged call's metadata and messages goes into the log, in bytes. */
export interface BinaryLogLimits {
  /** Bytes of metadata (keys and values) per header or trailer; Infinity for all. */
  readonly headerBytes: number;
  /** Bytes of each message; Infinity for all. */
  readonly messageBytes: number;
}

/** A parsed filter: the limits for a method, or undefined when it is not logged. */
export interface BinaryLogFilter {
  /** `method` is "package.Service/Method" (a leading "/" is ignored). */
  limitsFor(method: string): BinaryLogLimits | undefined;
}

/** Why a GRPC_BINARY_LOG_FILTER value was refused. */
export class BinaryLogFilterError extends Error {
  override readonly name = "BinaryLogFilterError";
}

const unlimited: BinaryLogLimits = Object.freeze({ headerBytes: Infinity, messageBytes: Infinity });

/** "package.Service/Method" or "package.Service/*", then what follows (the limits). */
const methodEntry = /^([\w.]+)\/(\w+|\*)(.*)$/;
const headerOnly = /^\{h(?::(\d+))?\}$/;
const messageOnly = /^\{m(?::(\d+))?\}$/;
const headerAndMessage = /^\{h(?::(\d+))?;m(?::(\d+))?\}$/;

/** The limits a suffix names ("" for no suffix: everything). */
function parseLimits(suffix: string, entry: string): BinaryLogLimits {
  if (suffix === "") return unlimited;
  const bytes = (n: string | undefined): number => {
    if (n === undefined) return Infinity;
    const v = Number(n);
    if (!Number.isSafeInteger(v)) throw new BinaryLogFilterError(`binary log filter entry "${entry}": the limit ${n} is too large`);
    return v;
  };
  let m = headerOnly.exec(suffix);
  if (m !== null) return { headerBytes: bytes(m[1]), messageBytes: 0 };
  m = messageOnly.exec(suffix);
  if (m !== null) return { headerBytes: 0, messageBytes: bytes(m[1]) };
  m = headerAndMessage.exec(suffix);
  if (m !== null) return { headerBytes: bytes(m[1]), messageBytes: bytes(m[2]) };
  throw new BinaryLogFilterError(`binary log filter entry "${entry}": "${suffix}" is not a limit; write {h:N}, {m:M} or {h:N;m:M}`);
}

/** Parses a GRPC_BINARY_LOG_FILTER value; throws a BinaryLogFilterError saying which entry is wrong and why. */
export function parseBinaryLogFilter(text: string): BinaryLogFilter {
  let all: BinaryLogLimits | undefined;
  const services = new Map<string, BinaryLogLimits>();
  const methods = new Map<string, BinaryLogLimits>();
  const excluded = new Set<string>();
  if (text.trim() === "") throw new BinaryLogFilterError("the binary log filter is empty; write * to log every method");
  for (const raw of text.split(",")) {
    const entry = raw.trim();
    if (entry === "") throw new BinaryLogFilterError(`binary log filter "${text}" has an empty entry`);
    if (entry.startsWith("-")) {
      const m = methodEntry.exec(entry.slice(1));
      if (m === null) throw new BinaryLogFilterError(`binary log filter entry "${entry}": an exclusion names one method, as -package.Service/Method`);
      if (m[2] === "*") throw new BinaryLogFilterError(`binary log filter entry "${entry}": an exclusion names one method, not a whole service`);
      if (m[3] !== "") throw new BinaryLogFilterError(`binary log filter entry "${entry}": an exclusion takes no limits`);
      const method = `${m[1]}/${m[2]}`;
      if (methods.has(method) || excluded.has(method)) throw new BinaryLogFilterError(`binary log filter names ${method} twice`);
      excluded.add(method);
      continue;
    }
    if (entry.startsWith("*")) {
      if (all !== undefined) throw new BinaryLogFilterError("binary log filter has * twice");
      all = parseLimits(entry.slice(1), entry);
      continue;
    }
    const m = methodEntry.exec(entry);
    if (m === null) throw new BinaryLogFilterError(`binary log filter entry "${entry}" is not *, package.Service/* or package.Service/Method`);
    const limits = parseLimits(m[3], entry);
    if (m[2] === "*") {
      if (services.has(m[1])) throw new BinaryLogFilterError(`binary log filter names ${m[1]}/* twice`);
      services.set(m[1], limits);
    } else {
      const method = `${m[1]}/${m[2]}`;
      if (methods.has(method) || excluded.has(method)) throw new BinaryLogFilterError(`binary log filter names ${method} twice`);
      methods.set(method, limits);
    }
  }
  return {
    limitsFor(method: string): BinaryLogLimits | undefined {
      const name = method.startsWith("/") ? method.slice(1) : method;
      if (excluded.has(name)) return undefined;
      const own = methods.get(name);
      if (own !== undefined) return own;
      const slash = name.lastIndexOf("/");
      return (slash > 0 ? services.get(name.slice(0, slash)) : undefined) ?? all;
    },
  };
}
