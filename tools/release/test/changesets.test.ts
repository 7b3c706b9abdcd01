import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChangesetSandbox, listWorkspaceFolders, runChangesetVersion, writeChangeset } from "../src/changeset-sandbox.js";
import type { CommandResult } from "../src/run-command.js";
import { readManifest, type PackageManifest } from "../src/publishable-packages.js";
import { workspaceRoot } from "../src/workspace-root.js";

interface ChangesetConfig {
  updateInternalDependencies: "patch" | "minor";
  ignore: string[];
}

const config = JSON.parse(readFileSync(join(workspaceRoot, ".changeset/config.json"), "utf8")) as ChangesetConfig;
const healthSummary = "Health watches report SERVICE_UNKNOWN for a service that was never registered.";
const transportSummary = "Server streams close cleanly when the client resets them mid-write.";

let sandbox = "";
let folders: string[] = [];
let run: CommandResult;
const before = new Map<string, { folder: string; manifest: PackageManifest; raw: string }>();

/** The sandbox copy of the workspace package called `name`, read after `changeset version`. */
function after(name: string): PackageManifest {
  const entry = before.get(name);
  if (entry === undefined) throw new Error(`no workspace package named ${name}`);
  return readManifest(join(sandbox, entry.folder));
}

/** Every dependency range of a manifest, whatever the kind. */
function allRanges(manifest: PackageManifest): Record<string, string> {
  return { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies };
}

beforeAll(async () => {
  sandbox = await mkdtemp(join(tmpdir(), "grpckit-release-changeset-"));
  folders = createChangesetSandbox(workspaceRoot, sandbox);
  for (const folder of folders) {
    const raw = readFileSync(join(sandbox, folder, "package.json"), "utf8");
    const manifest = JSON.parse(raw) as PackageManifest;
    before.set(manifest.name, { folder, manifest, raw });
  }
  writeChangeset(sandbox, "health-service-unknown", { "@grpckit/health": "minor" }, healthSummary);
  writeChangeset(sandbox, "transport-reset-close", { "@grpckit/transport-http2": "patch" }, transportSummary);
  run = await runChangesetVersion(workspaceRoot, sandbox);
}, 60_000);

afterAll(async () => {
  if (sandbox !== "") await rm(sandbox, { recursive: true, force: true });
});

describe("changeset version on a copy of the workspace", () => {
  it("runs with no git repository and consumes the changesets", () => {
    expect(existsSync(join(sandbox, ".git")), "the sandbox is not a git repository").toBe(false);
    expect(run.code, `changeset version output:\n${run.stdout}\n${run.stderr}`).toBe(0);
    expect(existsSync(join(sandbox, ".changeset/health-service-unknown.md"))).toBe(false);
    expect(existsSync(join(sandbox, ".changeset/transport-reset-close.md"))).toBe(false);
  });

  it("a minor changeset takes @grpckit/health from 0.0.0 to 0.1.0", () => {
    expect(before.get("@grpckit/health")?.manifest.version).toBe("0.0.0");
    expect(after("@grpckit/health").version).toBe("0.1.0");
  });

  it("the changeset's text lands under 0.1.0 Minor Changes in @grpckit/health's CHANGELOG.md", () => {
    const changelog = readFileSync(join(sandbox, before.get("@grpckit/health")!.folder, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(/^# @grpckit\/health$/m);
    const release = changelog.slice(changelog.indexOf("## 0.1.0"));
    expect(release).toMatch(/^### Minor Changes$/m);
    expect(release).toContain(healthSummary);
    expect(changelog).not.toContain(transportSummary);
  });

  it(`dependents of a bumped package get the new range and a ${config.updateInternalDependencies} release`, () => {
    expect(config.updateInternalDependencies).toBe("patch");
    const admin = after("@grpckit/admin");
    expect(allRanges(before.get("@grpckit/admin")!.manifest)["@grpckit/health"]).toBe("0.0.0");
    expect(admin.dependencies?.["@grpckit/health"]).toBe("0.1.0");
    expect(admin.version).toBe("0.0.1");
    const changelog = readFileSync(join(sandbox, before.get("@grpckit/admin")!.folder, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(/^### Patch Changes$/m);
    expect(changelog).toContain("@grpckit/health@0.1.0");
  });

  it("every workspace range on a bumped package follows its new version, in ignored packages too", () => {
    const bumped = new Map([
      ["@grpckit/health", "0.1.0"],
      ["@grpckit/transport-http2", "0.0.1"],
    ]);
    const stale: string[] = [];
    for (const [name] of before) {
      for (const [dep, range] of Object.entries(allRanges(after(name)))) {
        const version = bumped.get(dep);
        if (version !== undefined && range !== version) stale.push(`${name} -> ${dep}@${range}`);
      }
    }
    expect(after("@grpckit/transport-http2").version).toBe("0.0.1");
    expect(stale, "ranges npm would no longer satisfy from the workspace").toEqual([]);
  });

  it("packages untouched by the changesets keep their version", () => {
    const core = after("@grpckit/core");
    expect(core.version).toBe(before.get("@grpckit/core")!.manifest.version);
    expect(existsSync(join(sandbox, before.get("@grpckit/core")!.folder, "CHANGELOG.md"))).toBe(false);
  });

  it("ignored private packages keep their version and get no changelog, even when they depend on a bumped package", () => {
    expect(config.ignore.length).toBeGreaterThan(0);
    const dependsOnBumped = config.ignore.filter((name) => {
      const entry = before.get(name);
      return entry !== undefined && "@grpckit/transport-http2" in allRanges(entry.manifest);
    });
    expect(dependsOnBumped.length, "an ignored package depends on @grpckit/transport-http2").toBeGreaterThan(0);
    for (const name of config.ignore) {
      const entry = before.get(name);
      if (entry === undefined) continue;
      expect(entry.manifest.private, `${name} is private`).toBe(true);
      expect(after(name).version, `${name} version`).toBe(entry.manifest.version);
      expect(existsSync(join(sandbox, entry.folder, "CHANGELOG.md")), `${name} CHANGELOG.md`).toBe(false);
    }
  });
});

// A plug-in (every package with a peer dependency on core) must accept the core it is
// installed with: after a core release, each peer range still admits the new core, and
// a minor or patch release of core leaves the plug-ins alone instead of forcing every
// one of them to a new major version.
describe("changeset version after a release of @grpckit/core", () => {
  const bumps = ["patch", "minor", "major"] as const;
  const sandboxes = new Map<(typeof bumps)[number], { dir: string; run: CommandResult }>();

  beforeAll(async () => {
    await Promise.all(
      bumps.map(async (bump) => {
        const dir = await mkdtemp(join(tmpdir(), `grpckit-release-core-${bump}-`));
        createChangesetSandbox(workspaceRoot, dir);
        writeChangeset(dir, `core-${bump}`, { "@grpckit/core": bump }, `A ${bump} release of core.`);
        sandboxes.set(bump, { dir, run: await runChangesetVersion(workspaceRoot, dir) });
      }),
    );
  }, 60_000);

  afterAll(async () => {
    for (const { dir } of sandboxes.values()) await rm(dir, { recursive: true, force: true });
  });

  /** Workspace packages whose peerDependencies name @grpckit/core, with their manifests before and after. */
  function peersOfCore(bump: (typeof bumps)[number]): { name: string; before: PackageManifest; after: PackageManifest }[] {
    const sandbox = sandboxes.get(bump)!;
    expect(sandbox.run.code, `changeset version output:\n${sandbox.run.stdout}\n${sandbox.run.stderr}`).toBe(0);
    const found = [];
    for (const folder of listWorkspaceFolders(workspaceRoot)) {
      const manifest = readManifest(join(workspaceRoot, folder));
      if (manifest.peerDependencies?.["@grpckit/core"] === undefined) continue;
      found.push({ name: manifest.name, before: manifest, after: readManifest(join(sandbox.dir, folder)) });
    }
    return found;
  }

  it.each([
    ["patch", "0.0.1"],
    ["minor", "0.1.0"],
  ] as const)("a %s release of core (to %s) stays inside every plug-in's peer range ^0, and no plug-in is released", (bump, version) => {
    const peers = peersOfCore(bump);
    expect(peers.length, "packages with a peer dependency on core").toBeGreaterThanOrEqual(10);
    expect(readManifest(join(sandboxes.get(bump)!.dir, "packages/core")).version).toBe(version);
    for (const { name, before: was, after: now } of peers) {
      // "^0" admits every 0.x release: >=0.0.0 <1.0.0.
      expect(was.peerDependencies?.["@grpckit/core"], `${name} peer range`).toBe("^0");
      expect(now.peerDependencies?.["@grpckit/core"], `${name} peer range after core ${version}`).toBe("^0");
      expect(now.version, `${name} version`).toBe(was.version);
    }
  });

  it("a major release of core (to 1.0.0) moves every plug-in's peer range to ^1.0.0 with a major release of the plug-in", () => {
    const peers = peersOfCore("major");
    expect(readManifest(join(sandboxes.get("major")!.dir, "packages/core")).version).toBe("1.0.0");
    for (const { name, before: was, after: now } of peers) {
      expect(now.peerDependencies?.["@grpckit/core"], `${name} peer range after core 1.0.0`).toBe("^1.0.0");
      if (was.private === true) continue;
      expect(now.version, `${name} version`).toBe("1.0.0");
    }
  });
});
