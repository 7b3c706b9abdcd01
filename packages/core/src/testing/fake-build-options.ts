/** BalancerBuildOptions for a balancer under test, with a logger that keeps its lines. */
import type { BalancerBuildOptions } from "../balancer/balancer.js";
import type { Logger } from "../observability/logging.js";
import { parseTarget } from "../resolver/target.js";

/** Build options whose logger records every line, to check what a policy logged. */
export interface FakeBuildOptions extends BalancerBuildOptions {
  /** Every line logged, in order, as "error: ...", "info: ..." or "debug: ...". */
  readonly logged: string[];
}

/**
 * Build options as a channel to `target` would pass them (`passthrough:///test.example:443`
 * by default, insecure, its authority the target's endpoint); pass them to
 * `builder.build(cc, options)`.
 */
export function createFakeBuildOptions(init: { target?: string; authority?: string; secure?: boolean } = {}): FakeBuildOptions {
  const raw = init.target ?? "passthrough:///test.example:443";
  // Any "scheme://" names its scheme; a bare "host:port" is passthrough's, as a channel takes it.
  const target = parseTarget(raw, "passthrough", () => raw.includes("://"));
  const logged: string[] = [];
  const logger: Logger = {
    error: (m) => void logged.push(`error: ${m}`),
    info: (m) => void logged.push(`info: ${m}`),
    debug: (m) => void logged.push(`debug: ${m}`),
  };
  return { target, authority: init.authority ?? target.endpoint, secure: init.secure ?? false, logger, logged };
}
