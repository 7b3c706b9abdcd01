import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const typedocBin = join(root, "node_modules/typedoc/bin/typedoc");

interface TypedocRun {
  code: number | null;
  errors: string[];
  warnings: string[];
  modules: Map<string, string[]>;
}

interface Reflection {
  name: string;
  children?: Reflection[];
}

/** Runs typedoc with the root typedoc.json, writing the reference and its JSON model under `outDir`. */
function runTypedoc(outDir: string): Promise<TypedocRun> {
  const json = join(outDir, "api.json");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [typedocBin, "--out", join(outDir, "html"), "--json", json], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const lines = output.split("\n");
      const modules = new Map<string, string[]>();
      if (existsSync(json)) {
        const project = JSON.parse(readFileSync(json, "utf8")) as Reflection;
        for (const m of project.children ?? []) modules.set(m.name, (m.children ?? []).map((c) => c.name));
      }
      resolvePromise({
        code,
        errors: lines.filter((l) => l.includes("[error]")),
        warnings: lines.filter((l) => l.includes("[warning]") && !l.includes("Found 0 errors")),
        modules,
      });
    });
  });
}

/** The names of the packages under packages/, from their package.json. */
function workspacePackages(): string[] {
  const dir = join(root, "packages");
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, "package.json")) && existsSync(join(dir, d, "src/index.ts")))
    .map((d) => (JSON.parse(readFileSync(join(dir, d, "package.json"), "utf8")) as { name: string }).name);
}

describe("the API reference (typedoc)", () => {
  let outDir: string;
  let run: TypedocRun;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "grpckit-api-docs-"));
    run = await runTypedoc(outDir);
    if (run.warnings.length > 0) console.info(`typedoc warnings:\n${run.warnings.join("\n")}`);
  }, 90_000);

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it("builds with no errors", () => {
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
  });

  it("has a module for every package under packages/", () => {
    expect([...run.modules.keys()].sort()).toEqual(workspacePackages().sort());
  });

  it("documents core's main entry point and its testing entry point", () => {
    const core = run.modules.get("@grpckit/core") ?? [];
    expect(core).toEqual(expect.arrayContaining(["index", "testing"]));
  });

  it("writes an HTML page for the reference", () => {
    expect(statSync(join(outDir, "html/index.html")).isFile()).toBe(true);
  });

  it("renders every guide in docs/guides as a page of the reference", () => {
    const missing = readdirSync(join(root, "docs/guides"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `documents/${f.replace(/\.md$/, ".html")}`)
      .filter((page) => !existsSync(join(outDir, "html", page)));
    expect(missing).toEqual([]);
  });
});

describe("the guides", () => {
  const docs = join(root, "docs");
  const pages = [join(docs, "README.md"), ...readdirSync(join(docs, "guides")).map((f) => join(docs, "guides", f))].filter((f) =>
    f.endsWith(".md"),
  );

  it("every relative link in docs/README.md and docs/guides points at a file that exists", () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(page, "utf8");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
        const path = target.split("#")[0];
        const file = resolve(dirname(page), path);
        if (path === "" || file.startsWith(join(docs, "api"))) continue;
        if (!existsSync(file)) broken.push(`${page.slice(root.length + 1)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
