import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackage } from "../src/pack-package.js";
import { runCommand, type CommandResult } from "../src/run-command.js";
import { workspaceRoot } from "../src/workspace-root.js";

// Two copies of @grpckit/core in one process, as npm installs them when a plug-in and
// the application ask for versions that do not overlap. The fixture project holds
// core packed (npm pack) as 0.1.0 ("core-a", the plug-in's copy) and as 0.2.0
// ("core-b", the application's), each unpacked into its own node_modules folder, and
// a 0.3.0 ("core-c") whose process-wide state has another shape. Their dependencies
// (@bufbuild/protobuf, zod) are the workspace's, linked in, so nothing is downloaded.

const coreDir = join(workspaceRoot, "packages/core");
const fixtureDir = join(import.meta.dirname, "two-cores");
let scratch = "";
let app = "";

/** Packs a copy of the built core as `version`, after `edit` changed the copy; unpacks it as node_modules/`alias`. */
async function installCore(alias: string, version: string, edit: (copy: string) => void = () => {}): Promise<void> {
  const copy = join(scratch, "copies", alias);
  const manifest = JSON.parse(readFileSync(join(coreDir, "package.json"), "utf8")) as { version: string; files: string[] };
  mkdirSync(copy, { recursive: true });
  for (const entry of manifest.files) cpSync(join(coreDir, entry), join(copy, entry), { recursive: true });
  writeFileSync(join(copy, "package.json"), JSON.stringify({ ...manifest, version }, null, 2));
  edit(copy);
  const packed = await packPackage(copy, join(scratch, "tarballs", alias));
  cpSync(packed.unpackedDir, join(app, "node_modules", alias), { recursive: true });
}

function runApp(script: string): Promise<CommandResult> {
  return runCommand(process.execPath, [script], app);
}

function parseLast(run: CommandResult): Record<string, unknown> {
  expect(run.code, `node exited ${String(run.code)}:\n${run.stdout}\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "") as Record<string, unknown>;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "grpckit-two-cores-"));
  app = join(scratch, "app");
  mkdirSync(join(app, "node_modules/@bufbuild"), { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "two-cores-app", private: true, type: "module" }));
  symlinkSync(join(workspaceRoot, "node_modules/@bufbuild/protobuf"), join(app, "node_modules/@bufbuild/protobuf"), "dir");
  symlinkSync(join(workspaceRoot, "node_modules/zod"), join(app, "node_modules/zod"), "dir");
  for (const script of ["app.mjs", "incompatible.mjs"]) cpSync(join(fixtureDir, script), join(app, script));
  const shapeFile = join("dist/registry/process-state.js");
  await Promise.all([
    installCore("core-a", "0.1.0"),
    installCore("core-b", "0.2.0"),
    installCore("core-c", "0.3.0", (copy) => {
      const text = readFileSync(join(copy, shapeFile), "utf8");
      const match = /export const processStateShape = (\d+);/.exec(text);
      if (match === null) throw new Error(`${shapeFile} no longer declares processStateShape`);
      writeFileSync(join(copy, shapeFile), text.replace(match[0], `export const processStateShape = ${Number(match[1]) + 1};`));
    }),
  ]);
}, 120_000);

afterAll(async () => {
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

describe("two copies of @grpckit/core in one process", () => {
  it("a balancer registered through copy A is used by a channel of copy B, copy A's GrpcError reaches B's caller with its code, message, details and metadata, and message marks cross copies", async () => {
    const seen = parseLast(await runApp("app.mjs"));
    console.log(`two copies of core: ${JSON.stringify(seen)}`);
    expect(seen.versions).toEqual({ a: "0.1.0", b: "0.2.0" });
    expect(seen.sameBalancerRegistry).toBe(true);
    expect(seen.bSeesBalancer).toBe(true);
    expect(seen.picks).toEqual(["/twocores.Lookup/Find", "/twocores.Lookup/Denied", "/twocores.Lookup/Echo", "/twocores.Lookup/Echo"]);
    expect(seen.found).toEqual({
      instanceofB: true,
      isB: true,
      instanceofA: true,
      code: 5,
      codeName: "NOT_FOUND",
      rawMessage: "no user 7",
      details: ["type.googleapis.com/google.protobuf.Duration"],
      seconds: [7],
      thrownBy: "core-a",
      traceBin: [1, 2, 3],
    });
    // A message copy A marked uncompressed is sent plain by copy B's compressing call,
    // and a message copy B received compressed answers so to copy A's wasCompressed.
    expect(seen.echoes).toEqual(["gzip: compressed", "marked: plain"]);
    expect(seen.denied).toMatchObject({ instanceofB: true, isB: true, instanceofA: true, codeName: "PERMISSION_DENIED", rawMessage: "the plug-in says no" });
  });

  it("a copy whose process-wide state has another shape fails at import, naming both versions", async () => {
    const seen = parseLast(await runApp("incompatible.mjs"));
    console.log(`incompatible copy: ${String(seen.error)}`);
    expect(seen.a).toBe("0.1.0");
    expect(seen.error).toMatch(/^@grpckit\/core 0\.3\.0 found process-wide state of shape \d+ made by @grpckit\/core 0\.1\.0 \(this copy uses shape \d+\)/);
    expect(seen.error).toContain("install one version of @grpckit/core");
  });
});
