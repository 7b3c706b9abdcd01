import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Opened } from "./catalog-server.js";

const repoRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
const buf = join(repoRoot, "node_modules/.bin/buf");

const opened = new Opened();
afterEach(() => opened.closeAll());

/** An empty working directory, so buf curl finds no .proto file and no buf module beside it. */
let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "grpckit-reflection-"));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `buf curl` over plaintext HTTP/2 with the gRPC protocol and reflection. */
function bufCurl(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      buf,
      ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args],
      {
        cwd: workDir,
        timeout: 30_000,
        env: { ...process.env, NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1", BUF_CACHE_DIR: join(workDir, ".cache") },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

describe.each(["grpc-v1", "grpc-v1alpha"])("buf curl --reflect-protocol %s against a grpckit server", (protocol) => {
  const reflect = ["--reflect-protocol", protocol];

  it("lists the server's services", async () => {
    const { port } = await opened.catalogServer();
    const run = await bufCurl([...reflect, "--list-services", `http://127.0.0.1:${port}`]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(lines(run.stdout).sort()).toEqual([
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "grpckit.reflecttest.v1.CatalogService",
    ]);
  });

  it("lists the methods of every service", async () => {
    const { port } = await opened.catalogServer();
    const run = await bufCurl([...reflect, "--list-methods", `http://127.0.0.1:${port}`]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(lines(run.stdout).sort()).toEqual([
      "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      "grpckit.reflecttest.v1.CatalogService/GetItem",
      "grpckit.reflecttest.v1.CatalogService/WatchItems",
    ]);
  });

  it("calls a unary method with a JSON body, typed only by reflection", async () => {
    const { port } = await opened.catalogServer();
    const run = await bufCurl([...reflect, "-d", '{"name":"dune"}', `http://127.0.0.1:${port}/grpckit.reflecttest.v1.CatalogService/GetItem`]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      item: {
        name: "dune",
        kind: "KIND_BOOK",
        created: "2024-05-01T12:00:00Z",
        parts: [{ label: "spine", finish: "FINISH_MATTE" }],
        labels: { shelf: "A3" },
      },
    });
  });

  it("calls a server-streaming method and prints each response", async () => {
    const { port } = await opened.catalogServer();
    const run = await bufCurl([...reflect, "-d", '{"prefix":"tape"}', `http://127.0.0.1:${port}/grpckit.reflecttest.v1.CatalogService/WatchItems`]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const docs = run.stdout
      .split(/\n(?=\{)/)
      .filter((d) => d.trim() !== "")
      .map((d) => JSON.parse(d) as unknown);
    expect(docs).toEqual([
      { item: { name: "tape-1", kind: "KIND_BOOK" } },
      { item: { name: "tape-2", kind: "KIND_RECORD" } },
    ]);
  });

  it("reports a method the server does not describe", async () => {
    const { port } = await opened.catalogServer();
    const run = await bufCurl([...reflect, `http://127.0.0.1:${port}/grpckit.reflecttest.v1.CatalogService/Missing`]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Missing/);
  });

  it("fails to find a service the server does not offer", async () => {
    const { port } = await opened.catalogServer();
    const run = await bufCurl([...reflect, `http://127.0.0.1:${port}/grpckit.reflecttest.v1.ShelfService/List`]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/grpckit\.reflecttest\.v1\.ShelfService/);
  });
});
