import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runCommand } from "./run-command.js";

/** A tarball made by `npm pack`, and the same tarball unpacked. */
export interface PackedPackage {
  /** Absolute path of the .tgz file. */
  tarball: string;
  /** Paths inside the tarball, relative to its package/ folder, as npm reports them. */
  files: string[];
  /** Absolute path of the unpacked package/ folder. */
  unpackedDir: string;
}

interface NpmPackEntry {
  filename: string;
  files: { path: string }[];
}

/** Runs `npm pack` in `packageDir`, writes the tarball into `destination` and unpacks it beside it. */
export async function packPackage(packageDir: string, destination: string): Promise<PackedPackage> {
  await mkdir(destination, { recursive: true });
  const pack = await runCommand("npm", ["pack", "--json", "--pack-destination", destination], packageDir);
  if (pack.code !== 0) throw new Error(`npm pack failed in ${packageDir} (exit ${pack.code}):\n${pack.stderr}`);
  const [entry] = JSON.parse(pack.stdout) as NpmPackEntry[];
  if (entry === undefined) throw new Error(`npm pack reported no tarball in ${packageDir}`);
  const tarball = join(destination, entry.filename);
  const unpackRoot = join(destination, "unpacked");
  await mkdir(unpackRoot, { recursive: true });
  const untar = await runCommand("tar", ["-xzf", tarball, "-C", unpackRoot], destination);
  if (untar.code !== 0) throw new Error(`tar could not unpack ${tarball}:\n${untar.stderr}`);
  return { tarball, files: entry.files.map((f) => f.path), unpackedDir: join(unpackRoot, "package") };
}
