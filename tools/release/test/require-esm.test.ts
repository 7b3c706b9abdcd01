/**
 * A CommonJS program can require() every package: they are ES modules, which Node reads
 * through require() from 20.19 on when the exports map has a condition require() takes
 * ("default").
 */
import { spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import { listPublishablePackages } from "../src/publishable-packages.js";
import { workspaceRoot } from "../src/workspace-root.js";

const packages = listPublishablePackages(workspaceRoot);

it("node -e 'require(\"@grpckit/…\")' loads every package's entry points in a CommonJS script", () => {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  expect(major > 20 || (major === 20 && minor >= 19), `Node ${process.versions.node} reads ES modules through require() from 20.19`).toBe(true);
  const specifiers = packages.flatMap((p) => Object.keys(p.manifest.exports ?? {}).map((entry) => p.manifest.name + entry.slice(1)));
  expect(specifiers).toContain("@grpckit/core");
  const script = `const out = {}; for (const s of ${JSON.stringify(specifiers)}) out[s] = Object.keys(require(s)).length; console.log(JSON.stringify(out));`;
  const run = spawnSync(process.execPath, ["-e", script], { cwd: workspaceRoot, encoding: "utf8", timeout: 60_000 });
  expect(run.stderr).not.toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED|ERR_REQUIRE_ESM|Error/);
  expect(run.status).toBe(0);
  const exported = JSON.parse(run.stdout) as Record<string, number>;
  expect(Object.keys(exported).sort()).toEqual([...specifiers].sort());
  for (const s of specifiers) expect(exported[s], `names exported by ${s}`).toBeGreaterThan(0);
  const core = spawnSync(process.execPath, ["-e", 'console.log(typeof require("@grpckit/core").createChannel)'], { cwd: workspaceRoot, encoding: "utf8" });
  expect(core.stdout.trim()).toBe("function");
});
