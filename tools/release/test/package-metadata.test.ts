import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listPublishablePackages } from "../src/publishable-packages.js";
import { workspaceRoot } from "../src/workspace-root.js";

const packages = listPublishablePackages(workspaceRoot);

/** Escapes a package name for use inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

describe.each(packages.map((p) => [p.manifest.name, p] as const))("%s", (name, pkg) => {
  const manifest = pkg.manifest;

  it("package.json names a @grpckit package with a description and a license", () => {
    expect(manifest.name).toMatch(/^@grpckit\/[a-z0-9-]+$/);
    expect(manifest.name).toBe(`@grpckit/${pkg.folder}`);
    expect(manifest.description?.trim().length ?? 0, "description").toBeGreaterThan(20);
    expect(manifest.license, "license").toMatch(/\S/);
  });

  it("package.json declares an ES module package with no side effects", () => {
    expect(manifest.type).toBe("module");
    expect(manifest.sideEffects).toBe(false);
  });

  it('package.json exports "." with types and import conditions into dist, types first', () => {
    const root = manifest.exports?.["."] as Record<string, unknown> | undefined;
    expect(root, 'exports["."]').toBeTypeOf("object");
    expect(root?.["types"]).toBe("./dist/index.d.ts");
    expect(root?.["import"]).toBe("./dist/index.js");
    const keys = Object.keys(root ?? {});
    expect(keys.indexOf("types"), "types comes before import").toBeLessThan(keys.indexOf("import"));
  });

  it("package.json names the repository, the package's folder in it, and where to report bugs", () => {
    const repository = (manifest as { repository?: unknown }).repository;
    expect(repository).toEqual({ type: "git", url: "git+https://github.com/grpckit/grpckit.git", directory: `packages/${pkg.folder}` });
    expect((manifest as { bugs?: { url?: string } }).bugs?.url).toBe("https://github.com/grpckit/grpckit/issues");
  });

  it("every exports entry has a default condition, last, so require() of the ES module works on Node >= 20.19", () => {
    for (const [entry, value] of Object.entries(manifest.exports ?? {})) {
      const conditions = value as Record<string, string>;
      expect(conditions["default"], `exports["${entry}"].default`).toBe(conditions["import"]);
      expect(Object.keys(conditions).at(-1), `exports["${entry}"]: default comes last`).toBe("default");
    }
  });

  it("ships the Apache-2.0 LICENSE its license field names", () => {
    expect(manifest.license).toBe("Apache-2.0");
    const license = readFileSync(join(pkg.dir, "LICENSE"), "utf8");
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(license).toBe(readFileSync(join(workspaceRoot, "LICENSE"), "utf8"));
    expect(manifest.files).toContain("LICENSE");
  });

  it("package.json lists the published files, dist and README.md among them", () => {
    expect(manifest.files).toEqual(expect.arrayContaining(["dist", "README.md"]));
    expect(manifest.files?.some((f) => /^(\.\/)?test(\/|$)/.test(f)), "test/ is published").toBe(false);
  });

  it("README.md shows the npm install command and a TypeScript example", () => {
    const readmePath = join(pkg.dir, "README.md");
    expect(existsSync(readmePath), "README.md exists").toBe(true);
    const readme = readFileSync(readmePath, "utf8");
    const install = new RegExp(`^\\s*npm install\\b[^\\n]*\\s${escapeRegExp(name)}(?=\\s|$)`, "m");
    expect(readme, `an "npm install ... ${name}" line`).toMatch(install);
    expect(readme, "a ```ts code block").toMatch(/^```ts\s*$[\s\S]*?^```\s*$/m);
  });

  it("README.md's npm install lines name every @grpckit package its examples import", () => {
    const readme = readFileSync(join(pkg.dir, "README.md"), "utf8");
    const installed = new Set([...readme.matchAll(/^\s*npm install\b(.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/)));
    const imported = new Set([...readme.matchAll(/from "(@grpckit\/[a-z0-9-]+)/g)].map((m) => m[1]!));
    expect([...imported].filter((name) => !installed.has(name)), "imported but not installed").toEqual([]);
  });
});
