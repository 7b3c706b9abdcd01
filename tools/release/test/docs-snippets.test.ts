/**
 * The docs' TypeScript snippets make channels and servers the way core accepts them:
 * with a transport, or after registerTransport(). Core has no default transport, so a
 * snippet without one fails with "no transport registered" when a reader runs it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { workspaceRoot } from "../src/workspace-root.js";

/** docs/**\/*.md (not the generated API pages) and every README.md of the workspace. */
function markdownFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(workspaceRoot, dir), { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (path !== join("docs", "api")) walk(path);
      } else if (path.endsWith(".md")) files.push(path);
    }
  };
  walk("docs");
  files.push("README.md");
  for (const top of ["packages", "examples", "tools"]) {
    for (const name of readdirSync(join(workspaceRoot, top))) {
      if (existsSync(join(workspaceRoot, top, name, "README.md"))) files.push(join(top, name, "README.md"));
    }
  }
  return files;
}

/** Each createChannel(…) / createServer(…) call in a ```ts block that neither passes a transport nor follows registerTransport(). */
function callsWithoutTransport(markdown: string): string[] {
  const found: string[] = [];
  for (const block of markdown.matchAll(/^```(?:ts|typescript)\s*\n([\s\S]*?)^```/gm)) {
    const code = block[1]!;
    for (const call of code.matchAll(/\b(createChannel|createServer)\(/g)) {
      let depth = 1;
      let i = call.index + call[0].length;
      while (i < code.length && depth > 0) {
        if (code[i] === "(") depth++;
        else if (code[i] === ")") depth--;
        i++;
      }
      const args = code.slice(call.index + call[0].length, i - 1);
      if (/\btransport\b/.test(args) || /\bregisterTransport\(/.test(code.slice(0, call.index))) continue;
      found.push(`${call[1]}(${args.replace(/\s+/g, " ")})`);
    }
  }
  return found;
}

it("every createChannel and createServer in the docs' TypeScript snippets names a transport or follows registerTransport()", () => {
  const files = markdownFiles();
  expect(files).toContain(join("docs", "guides", "getting-started.md"));
  let calls = 0;
  const missing: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(workspaceRoot, file), "utf8");
    calls += [...text.matchAll(/\b(createChannel|createServer)\(/g)].length;
    for (const call of callsWithoutTransport(text)) missing.push(`${file}: ${call}`);
  }
  expect(calls).toBeGreaterThan(20);
  expect(missing).toEqual([]);
});

it("the check finds a snippet without a transport and accepts one after registerTransport()", () => {
  const fence = "```";
  expect(callsWithoutTransport(`${fence}ts\nconst c = createChannel("localhost:50051");\n${fence}\n`)).toEqual(['createChannel("localhost:50051")']);
  expect(callsWithoutTransport(`${fence}ts\nregisterTransport(h2Transport());\nconst c = createChannel("localhost:50051");\n${fence}\n`)).toEqual([]);
  expect(callsWithoutTransport(`${fence}ts\ncreateServer({ transport: h2Transport(), limits: f(1) });\n${fence}\n`)).toEqual([]);
});
