/**
 * A consumer on the strictest common settings compiles against the built declaration
 * files of every package: strict, exactOptionalPropertyTypes and skipLibCheck false,
 * so a .d.ts the packages ship never breaks a user's build.
 */
import { join } from "node:path";
import ts from "typescript";
import { expect, it } from "vitest";
import { listPublishablePackages } from "../src/publishable-packages.js";
import { workspaceRoot } from "../src/workspace-root.js";

const packages = listPublishablePackages(workspaceRoot);

it("a consumer with strict, exactOptionalPropertyTypes and skipLibCheck: false compiles against every package's .d.ts", () => {
  const specifiers = packages.flatMap((p) => Object.keys(p.manifest.exports ?? {}).map((entry) => p.manifest.name + entry.slice(1)));
  expect(specifiers).toContain("@grpckit/core");
  // Written from the workspace root's point of view, so imports resolve through its node_modules.
  const consumerPath = join(workspaceRoot, "tools/release/consumer-of-every-package.ts");
  const source = [
    ...specifiers.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`),
    `export const loaded = [${specifiers.map((_, i) => `m${i}`).join(", ")}];`,
    // Uses core's public types the way a program does.
    'import { createChannel, createServer, type ChannelOptions } from "@grpckit/core";',
    "const options: ChannelOptions = { maxReceiveMessageBytes: 1 << 20 };",
    'export const made = [createChannel("localhost:1", options), createServer({})];',
  ].join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ["node"],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getCurrentDirectory = () => workspaceRoot;
  host.getSourceFile = (fileName, language, onError, shouldCreate) =>
    fileName === consumerPath ? ts.createSourceFile(fileName, source, language) : getSourceFile(fileName, language, onError, shouldCreate);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === consumerPath || fileExists(fileName);
  const program = ts.createProgram([consumerPath], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, host));
  expect(diagnostics).toEqual([]);
  // The declarations checked are the built ones a user installs, not the sources.
  const ours = program.getSourceFiles().map((f) => f.fileName).filter((f) => /\/packages\/[^/]+\/(src|dist)\//.test(f));
  expect(ours.some((f) => f.endsWith("/packages/core/dist/index.d.ts"))).toBe(true);
  expect(ours.filter((f) => /\/packages\/[^/]+\/src\//.test(f))).toEqual([]);
  // A whole-program type check of every package's declarations and their dependencies':
  // seconds alone, longer on a busy machine.
}, 120_000);
