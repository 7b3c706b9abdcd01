import { join } from "node:path";
import { runCommand } from "./run-command.js";

/** Module resolutions the esm-only profile of attw leaves out: our packages ship no CommonJS. */
export const esmOnlyIgnoredResolutions: readonly string[] = ["node10", "node16-cjs"];

/** One problem attw found, in the shape of its JSON output. */
export interface AttwProblem {
  kind: string;
  entrypoint?: string;
  resolutionKind?: string;
}

/** The outcome of `attw --profile esm-only` on one tarball. */
export interface AttwReport {
  exitCode: number | null;
  /** Entry points attw checked, e.g. [".", "./testing"]. */
  entrypoints: string[];
  /** Problems that count under the esm-only profile. */
  problems: AttwProblem[];
  /** Problems on resolutions the profile ignores (CommonJS and node10), kept for the record. */
  ignoredProblems: AttwProblem[];
}

interface AttwJson {
  analysis: { entrypoints?: Record<string, unknown>; problems?: AttwProblem[] };
}

/** Runs Are The Types Wrong on a packed tarball with the esm-only profile. */
export async function attwReport(root: string, tarball: string): Promise<AttwReport> {
  const bin = join(root, "node_modules/.bin/attw");
  const run = await runCommand(bin, [tarball, "--profile", "esm-only", "--format", "json"], root);
  let parsed: AttwJson;
  try {
    parsed = JSON.parse(run.stdout) as AttwJson;
  } catch {
    throw new Error(`attw gave no JSON for ${tarball} (exit ${run.code}):\n${run.stderr}`);
  }
  const all = parsed.analysis.problems ?? [];
  const ignored = (p: AttwProblem): boolean =>
    p.resolutionKind !== undefined && esmOnlyIgnoredResolutions.includes(p.resolutionKind);
  return {
    exitCode: run.code,
    entrypoints: Object.keys(parsed.analysis.entrypoints ?? {}),
    problems: all.filter((p) => !ignored(p)),
    ignoredProblems: all.filter(ignored),
  };
}
