import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root, two levels above this package's src/ or dist/ folder. */
export const workspaceRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
