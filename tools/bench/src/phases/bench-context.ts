/** What every phase of a run shares: the plan, h2load, a scratch directory, progress output, failures. */
import type { BenchPlan } from "../bench-plan.js";
import type { H2loadInfo } from "../h2load.js";
import type { Library } from "../libraries.js";
import type { Failure } from "../report.js";

export interface BenchContext {
  plan: BenchPlan;
  h2load: H2loadInfo;
  /** A temporary directory for request bodies and h2load logs. */
  workDir: string;
  /** Progress for the person running the bench (stderr). */
  log(line: string): void;
  /** Records a measurement that failed; the run continues. */
  fail(phase: string, library: Library, error: unknown): void;
  failures: Failure[];
}
