/**
 * Builds the page into dist/page: src/page/app.ts and what it imports (connect-web,
 * protobuf-es, the generated HelloService) bundled by esbuild into one app.js for the
 * browser, beside the page's HTML and CSS. `npm run build` runs it after tsc.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const source = fileURLToPath(new URL("../src/page/", import.meta.url));
const out = fileURLToPath(new URL("./page/", import.meta.url));

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${source}app.ts`],
  outfile: `${out}app.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  logLevel: "warning",
});
for (const file of ["index.html", "page.css"]) copyFileSync(`${source}${file}`, `${out}${file}`);
