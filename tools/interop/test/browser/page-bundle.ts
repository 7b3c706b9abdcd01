/** Bundles the test page's script with esbuild into a temporary folder, with the HTML page that loads it. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface PageBundle {
  /** The folder holding index.html and page.js. */
  readonly dir: string;
  /** Removes the folder. */
  dispose(): Promise<void>;
}

const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>grpckit browser tests</title><script type="module" src="page.js"></script></head><body></body></html>
`;

export async function bundlePage(): Promise<PageBundle> {
  const dir = await mkdtemp(join(tmpdir(), "grpckit-browser-page-"));
  await build({
    entryPoints: [fileURLToPath(new URL("page/main.ts", import.meta.url))],
    outfile: join(dir, "page.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    // The workspace packages' own sources, as the tests' tsconfig resolves them.
    conditions: ["source"],
    logLevel: "silent",
  });
  await writeFile(join(dir, "index.html"), html);
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
