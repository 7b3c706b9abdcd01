import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCommand } from "../src/run-command.js";
import { workspaceRoot } from "../src/workspace-root.js";

// dependency-cruiser with the rules of .dependency-cruiser.cjs: no import cycle (type-only
// imports count), no import of another package's internals, and core's folders layered.

const depcruise = join(workspaceRoot, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const config = ".dependency-cruiser.cjs";

function cruise(cwd: string, paths: readonly string[]) {
  return runCommand(process.execPath, [depcruise, "--config", config, "--output-type", "err", ...paths], cwd);
}

const scratch = mkdtempSync(join(tmpdir(), "grpckit-depcruise-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(dirname(join(scratch, path)), { recursive: true });
  writeFileSync(join(scratch, path), text);
}

describe("source dependencies", () => {
  it("packages/*/src and tools/*/src have no import cycle, reach other packages only by their exports, and keep core's layers", async () => {
    // includeOnly in the config keeps the cruise to packages/*/src and tools/*/src.
    const run = await cruise(workspaceRoot, ["packages", "tools"]);
    const output = run.stdout + run.stderr;
    expect(run.code, `dependency-cruiser found forbidden imports (rules and how to fix them: ${config}):\n${output}`).toBe(0);
    expect(output).toMatch(/no dependency violations found \(\d+ modules, \d+ dependencies cruised\)/);
  }, 120_000);

  it("reports a cycle (also through a type-only import), a relative import into another package, a deep import and a core import against its layers", async () => {
    copyFileSync(join(workspaceRoot, config), join(scratch, config));
    copyFileSync(join(workspaceRoot, "tsconfig.base.json"), join(scratch, "tsconfig.base.json"));
    symlinkSync(join(workspaceRoot, "node_modules"), join(scratch, "node_modules"), "dir");
    write("packages/a/src/left.ts", 'import { right } from "./right.js";\nexport const left = (): number => right + 1;\n');
    write("packages/a/src/right.ts", 'import type { Left } from "./left-type.js";\nexport const right = 1;\nexport type R = Left;\n');
    write("packages/a/src/left-type.ts", 'import type { R } from "./right.js";\nexport type Left = R | string;\n');
    write("packages/b/src/reach-in.ts", 'import { left } from "../../a/src/left.js";\nexport const b = left();\n');
    write("packages/b/src/deep.ts", 'import { Code } from "@grpckit/core/dist/code.js";\nexport const c = Code.OK;\n');
    write("packages/core/src/wire/envelope.ts", 'import { createServer } from "../server/server.js";\nexport const e = createServer;\n');
    write("packages/core/src/server/server.ts", "export const createServer = (): number => 1;\n");
    const run = await cruise(scratch, ["packages/a/src", "packages/b/src", "packages/core/src"]);
    const output = run.stdout + run.stderr;
    expect(run.code).not.toBe(0);
    expect(output).toMatch(/error no-cycle: packages\/a\/src\/(left-type|right)\.ts → \n\s+packages\/a\/src\/(right|left-type)\.ts/);
    expect(output).toContain("error no-other-package-internals: packages/b/src/reach-in.ts → packages/a/src/left.ts");
    expect(output).toContain("error no-unresolvable: packages/b/src/deep.ts → @grpckit/core/dist/code.js");
    expect(output).toContain("error core-layers: packages/core/src/wire/envelope.ts → packages/core/src/server/server.ts");
  }, 120_000);
});

/** The plug-ins of grpc-go's policies and services: each is installed beside core and nothing else of grpckit. */
const corePlugins = [
  "balancer-leastrequest",
  "balancer-ringhash",
  "balancer-outlierdetection",
  "balancer-wrr",
  "orca",
  "authz",
  "credentials-oauth",
  "binarylog",
];

describe("plug-in manifests", () => {
  it.each(corePlugins)("packages/%s installs no @grpckit package but its peer @grpckit/core ^0 (transports only as devDependencies, for its loopback tests)", async (folder) => {
    const { readFile } = await import("node:fs/promises");
    const manifest = JSON.parse(await readFile(join(workspaceRoot, "packages", folder, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    const installed = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies };
    const grpckit = Object.entries(installed).filter(([name]) => name.startsWith("@grpckit/"));
    expect(grpckit).toEqual([["@grpckit/core", "^0"]]);
  });
});
