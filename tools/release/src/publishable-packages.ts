import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The package.json fields the release checks read. */
export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  license?: string;
  type?: string;
  sideEffects?: boolean | string[];
  exports?: Record<string, unknown>;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** A workspace package that npm would publish. */
export interface PublishablePackage {
  /** Folder name under packages/, e.g. "core". */
  folder: string;
  /** Absolute path of the package folder. */
  dir: string;
  manifest: PackageManifest;
}

/** Reads and parses `<dir>/package.json`. */
export function readManifest(dir: string): PackageManifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageManifest;
}

/** Every packages/* folder whose package.json is not marked private, sorted by folder name. */
export function listPublishablePackages(root: string): PublishablePackage[] {
  const packagesDir = join(root, "packages");
  const result: PublishablePackage[] = [];
  for (const folder of readdirSync(packagesDir).sort()) {
    const dir = join(packagesDir, folder);
    if (!existsSync(join(dir, "package.json"))) continue;
    const manifest = readManifest(dir);
    if (manifest.private === true) continue;
    result.push({ folder, dir, manifest });
  }
  return result;
}
