/** Runs the example: `npm run example:observability` from the repository's root. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.js";

const path = join(mkdtempSync(join(tmpdir(), "grpckit-observability-")), "binary.log");
await run(path, (line) => console.log(line));
console.log(`binary log: ${path}`);
