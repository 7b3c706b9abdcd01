import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCommand } from "../src/run-command.js";
import { workspaceRoot } from "../src/workspace-root.js";

// @grpckit/core's public API is committed as API Extractor reports in packages/core/api/,
// one per entry point, read from the built .d.ts. Any change to an exported name or its
// type makes these tests fail until the report is updated and the change is reviewed.

const coreDir = join(workspaceRoot, "packages/core");
const apiExtractor = join(workspaceRoot, "node_modules/@microsoft/api-extractor/bin/api-extractor");
// Where api-extractor.json has API Extractor write the report it builds, for comparison.
const liveReportFolder = join(workspaceRoot, "node_modules/.cache/api-extractor/core");
const updateCommand = "npm run api-report (then commit packages/core/api/)";

const entryPoints = [
  { entry: "@grpckit/core", config: "api-extractor.json", report: "core.api.md" },
  { entry: "@grpckit/core/testing", config: "api-extractor.testing.json", report: "core-testing.api.md" },
  { entry: "@grpckit/core/error-details", config: "api-extractor.error-details.json", report: "core-error-details.api.md" },
  { entry: "@grpckit/core/orca", config: "api-extractor.orca.json", report: "core-orca.api.md" },
];

/** The lines that differ between the committed report and the one API Extractor just wrote. */
function reportChanges(report: string): string {
  const lines = (path: string): string[] => {
    try {
      return readFileSync(path, "utf8").split("\n");
    } catch {
      return [];
    }
  };
  const committed = lines(join(coreDir, "api", report));
  const live = lines(join(liveReportFolder, report));
  const removed = committed.filter((line) => !live.includes(line)).map((line) => `- ${line}`);
  const added = live.filter((line) => !committed.includes(line)).map((line) => `+ ${line}`);
  return [...removed, ...added].join("\n");
}

const scratch = mkdtempSync(join(tmpdir(), "grpckit-api-report-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("@grpckit/core API report", () => {
  for (const { entry, config, report } of entryPoints) {
    it(`${entry} exports exactly what packages/core/api/${report} records`, async () => {
      const run = await runCommand(process.execPath, [apiExtractor, "run", "-c", config], coreDir);
      const output = run.stdout + run.stderr;
      expect(
        run.code,
        `${entry}'s public API differs from packages/core/api/${report}.\n` +
          `If the change is intended, run: ${updateCommand}\n\n${output}\n${reportChanges(report)}`,
      ).toBe(0);
      expect(output).toContain("API Extractor completed successfully");
      // API Extractor reads the whole declaration graph: seconds alone, longer on a busy machine.
    }, 120_000);
  }

  it("fails, naming the report, when the committed report differs from the built API", async () => {
    // A copy of the committed report with one export removed stands in for a change in review.
    const reportFolder = join(scratch, "api");
    const committed = readFileSync(join(coreDir, "api/core.api.md"), "utf8");
    const edited = committed.replace(/\n\/\/ @public\nexport function createClient[^\n]*\n/, "\n");
    expect(edited).not.toBe(committed);
    mkdirSync(reportFolder, { recursive: true });
    writeFileSync(join(reportFolder, "core.api.md"), edited);
    const base = JSON.parse(readFileSync(join(coreDir, "api-extractor.json"), "utf8")) as Record<string, unknown>;
    // API Extractor names the package from the package.json beside its config.
    writeFileSync(join(scratch, "package.json"), readFileSync(join(coreDir, "package.json")));
    const scratchConfig = join(scratch, "api-extractor.json");
    writeFileSync(
      scratchConfig,
      JSON.stringify({
        ...base,
        projectFolder: coreDir,
        apiReport: {
          enabled: true,
          reportFolder,
          reportTempFolder: join(scratch, "temp"),
          reportFileName: "core",
        },
      }),
    );
    const run = await runCommand(process.execPath, [apiExtractor, "run", "-c", scratchConfig], coreDir);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toContain("You have changed the API signature");
  }, 120_000);
});
