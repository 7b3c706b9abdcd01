/**
 * A policy read from a file and read again every refresh interval (grpc-go's
 * authz.NewFileWatcher): a changed file is in force from the next call on, without a
 * restart; a changed file that does not load keeps the last good policy and logs why.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { LogVerbosity, log, trace } from "@grpckit/core";
import { compileAuthzPolicy, enforce, type Authorizer } from "./authorizer.js";
import type { AuthzPolicy } from "./static-policy.js";

export interface FileWatcherAuthzOptions {
  /** How often the file is read again, in milliseconds; required and positive (grpc-go has no default either). */
  refreshIntervalMs: number;
}

/** A file-backed policy; `close()` stops watching (the tap keeps the policy last loaded). */
export interface FileWatcherAuthzPolicy extends AuthzPolicy {
  /** The file's contents last found invalid, with why; undefined while the file in force is the file on disk. */
  readonly lastError: Error | undefined;
  /** Reads the file now, as the timer would; resolves once it is loaded or refused. */
  reload(): Promise<void>;
  close(): void;
}

/**
 * Loads the policy at `path` now, and again every `refreshIntervalMs`. Throws when
 * the file cannot be read or its policy is invalid, so a server never starts without
 * a policy.
 *
 * @example
 * const authz = createFileWatcherAuthzPolicy("/etc/grpc/authz.json", { refreshIntervalMs: 1000 });
 * const server = createServer({ transport: h2Transport(), credentials, taps: [authz.tap] });
 * // on shutdown
 * authz.close();
 */
export function createFileWatcherAuthzPolicy(path: string, options: FileWatcherAuthzOptions): FileWatcherAuthzPolicy {
  const interval = options?.refreshIntervalMs;
  if (typeof interval !== "number" || !Number.isFinite(interval) || interval <= 0) {
    throw new TypeError(`refreshIntervalMs must be a positive number of milliseconds, got ${String(interval)}`);
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read the authorization policy file ${path}: ${(e as Error).message}`, { cause: e });
  }
  let authorizer: Authorizer;
  try {
    authorizer = compileAuthzPolicy(text);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
  let lastError: Error | undefined;
  let reading: Promise<void> | undefined;
  let closed = false;

  const load = async (): Promise<void> => {
    let next: string;
    try {
      next = await readFile(path, "utf8");
    } catch (e) {
      refuse(new Error(`cannot read ${path}: ${(e as Error).message}`, { cause: e }));
      return;
    }
    if (closed || next === text) return;
    try {
      authorizer = compileAuthzPolicy(next);
    } catch (e) {
      refuse(new Error(`${path}: ${(e as Error).message}`, { cause: e }));
      return;
    }
    text = next;
    lastError = undefined;
    trace("authz", `policy "${authorizer.policyName}" loaded from ${path}`);
  };
  const refuse = (error: Error) => {
    // Said once per bad version of the file, not on every tick.
    if (lastError?.message !== error.message) {
      log(LogVerbosity.ERROR, `authz: keeping policy "${authorizer.policyName}": ${error.message}`);
    }
    lastError = error;
  };
  const reload = (): Promise<void> => (reading ??= load().finally(() => (reading = undefined)));

  const timer = setInterval(() => void reload(), interval);
  // Watching a policy file must not keep the process alive on its own.
  timer.unref();

  return {
    get policyName() {
      return authorizer.policyName;
    },
    get lastError() {
      return lastError;
    },
    tap: (info) => enforce(authorizer, info),
    reload,
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
