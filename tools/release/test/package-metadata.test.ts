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
});
