/** The facts a result is only meaningful with: when, on what machine, with which versions. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  os: string;
  node: string;
}

/** Describes this machine and node. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    totalMemoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** The packages whose versions a result depends on. */
export const MEASURED_PACKAGES = [
  "@grpckit/core",
  "@grpckit/transport-http2",
  "@grpckit/transport-h2",
  "@grpc/grpc-js",
  "@grpc/proto-loader",
  "@bufbuild/protobuf",
] as const;

/** Installed versions of MEASURED_PACKAGES, found in node_modules above this tool. */
export function packageVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of MEASURED_PACKAGES) versions[name] = installedVersion(name) ?? "not installed";
  return versions;
}

function installedVersion(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "node_modules", name, "package.json");
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The git commit checked out where the tool runs; undefined outside git. */
export function sourceRevision(): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: dirname(fileURLToPath(import.meta.url)),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}
