import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attwReport, type AttwReport } from "../src/attw-report.js";
import { packPackage, type PackedPackage } from "../src/pack-package.js";
import { listPublishablePackages, type PublishablePackage } from "../src/publishable-packages.js";
import { publintReport, type PublintReport } from "../src/publint-report.js";
import { workspaceRoot } from "../src/workspace-root.js";

interface TarballChecks {
  packed: PackedPackage;
  publint: PublintReport;
  attw: AttwReport;
}

const packages = listPublishablePackages(workspaceRoot);
const checks = new Map<string, Promise<TarballChecks>>();
let scratch = "";

/** Packs, lints and type-checks one package in its own folder under the scratch directory. */
async function checkTarball(pkg: PublishablePackage): Promise<TarballChecks> {
  const destination = join(scratch, pkg.folder);
  const packed = await packPackage(pkg.dir, destination);
  const [publint, attw] = await Promise.all([publintReport(packed.unpackedDir), attwReport(workspaceRoot, packed.tarball)]);
  return { packed, publint, attw };
}

/** Runs `work` on every item with at most `limit` in flight, keeping one promise per item. */
function startLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R>[] {
  let running = 0;
  const waiting: (() => void)[] = [];
  return items.map(async (item) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work(item);
    } finally {
      running--;
      waiting.shift()?.();
    }
  });
}

/** Every value of an exports entry that is a path, with the condition that leads to it. */
function exportTargets(value: unknown, conditions: string[] = []): [string, string][] {
  if (typeof value === "string") return [[conditions.join(" > ") || "default", value]];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, inner]) => exportTargets(inner, [...conditions, key]));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "grpckit-release-pack-"));
  const started = startLimited(packages, 4, checkTarball);
  packages.forEach((pkg, i) => checks.set(pkg.manifest.name, started[i]!));
  await Promise.allSettled(started);
}, 180_000);

afterAll(async () => {
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

it("the workspace has the publishable packages, core among them", () => {
  const names = packages.map((p) => p.manifest.name);
  expect(names).toContain("@grpckit/core");
  expect(names.length).toBeGreaterThanOrEqual(10);
});

describe.each(packages.map((p) => [p.manifest.name, p] as const))("%s tarball", (name, pkg) => {
  it("holds dist/index.js, dist/index.d.ts, README.md, LICENSE and package.json, and no tests", async () => {
    const { packed } = await checks.get(name)!;
    expect(packed.files).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts"]));
    const testFiles = packed.files.filter((f) => /(^|\/)test\//.test(f) || /\.test\.[cm]?[jt]s$/.test(f));
    expect(testFiles, `test files in the ${name} tarball`).toEqual([]);
  });

  it("has a file in the tarball behind every export condition, source included", async () => {
    const { packed } = await checks.get(name)!;
    const missing = exportTargets(pkg.manifest.exports)
      .filter(([, target]) => !existsSync(join(packed.unpackedDir, target)))
      .map(([condition, target]) => `${condition} -> ${target}`);
    expect(missing, `export targets absent from the ${name} tarball`).toEqual([]);
  });

  it("passes publint with no errors", async () => {
    const { publint } = await checks.get(name)!;
    const notes = [...publint.warnings.map((w) => `warning ${w}`), ...publint.suggestions.map((s) => `suggestion ${s}`)];
    expect(publint.errors, `publint errors in ${name}; other notes: ${JSON.stringify(notes)}`).toEqual([]);
  });

  it("passes attw --profile esm-only on every exported entry point", async () => {
    const { attw } = await checks.get(name)!;
    expect(attw.problems, `attw problems in ${name}`).toEqual([]);
    expect(attw.exitCode).toBe(0);
    expect(attw.entrypoints.sort()).toEqual(Object.keys(pkg.manifest.exports ?? {}).sort());
  });
});
