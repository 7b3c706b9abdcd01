import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCommand, type CommandResult } from "./run-command.js";

/** A version bump a changeset can ask for. */
export type BumpType = "major" | "minor" | "patch";

/** Workspace folders (relative to the root) matched by the root package.json's "workspaces" globs. */
export function listWorkspaceFolders(root: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  const folders: string[] = [];
  for (const pattern of manifest.workspaces ?? []) {
    if (!pattern.endsWith("/*")) {
      if (existsSync(join(root, pattern, "package.json"))) folders.push(pattern);
      continue;
    }
    const parent = pattern.slice(0, -2);
    if (!existsSync(join(root, parent))) continue;
    for (const name of readdirSync(join(root, parent)).sort()) {
      const folder = `${parent}/${name}`;
      if (existsSync(join(root, folder, "package.json"))) folders.push(folder);
    }
  }
  return folders;
}

/**
 * Copies into `sandbox` only what `changeset version` reads: the root package.json,
 * .changeset/config.json and every workspace's package.json in its folder. The repo's
 * pending changesets are left out so the outcome depends only on the ones written later.
 * Returns the workspace folders copied.
 */
export function createChangesetSandbox(root: string, sandbox: string): string[] {
  mkdirSync(join(sandbox, ".changeset"), { recursive: true });
  cpSync(join(root, "package.json"), join(sandbox, "package.json"));
  cpSync(join(root, ".changeset/config.json"), join(sandbox, ".changeset/config.json"));
  const folders = listWorkspaceFolders(root);
  for (const folder of folders) {
    mkdirSync(join(sandbox, folder), { recursive: true });
    cpSync(join(root, folder, "package.json"), join(sandbox, folder, "package.json"));
  }
  return folders;
}

/** Writes `.changeset/<id>.md` asking for `bumps`, with `summary` as its changelog text. */
export function writeChangeset(sandbox: string, id: string, bumps: Record<string, BumpType>, summary: string): void {
  const header = Object.entries(bumps)
    .map(([name, bump]) => `"${name}": ${bump}`)
    .join("\n");
  writeFileSync(join(sandbox, ".changeset", `${id}.md`), `---\n${header}\n---\n\n${summary}\n`);
}

/** Runs the repo's own `changeset version` with `sandbox` as the working directory. */
export function runChangesetVersion(root: string, sandbox: string): Promise<CommandResult> {
  return runCommand(process.execPath, [join(root, "node_modules/@changesets/cli/bin.js"), "version"], sandbox);
}
