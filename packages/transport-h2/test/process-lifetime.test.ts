/**
 * A pending call keeps the process running, as any work does: a waitForReady call with
 * no deadline, or with only AbortSignal.timeout, to a server that is down settles
 * instead of the process exiting under it. A channel with nothing pending does not
 * keep a process alive. Each case runs in a child process on the built packages.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { file_grpckit_test_v1_echo } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";

const childScript = fileURLToPath(new URL("./support/process-lifetime-child.mjs", import.meta.url));
const descriptor = Buffer.from(toBinary(FileDescriptorProtoSchema, file_grpckit_test_v1_echo.proto)).toString("base64");

interface Exit {
  code: number | null;
  /** Killed by the test: the process did not exit by itself in time. */
  killed: boolean;
  lines: string[];
  stderr: string;
}

function runChild(mode: string, limitMs = 15_000): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, mode, descriptor], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, limitMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, killed, lines: stdout.split("\n").filter((l) => l !== ""), stderr });
    });
  });
}

describe("a pending call and the life of the process", () => {
  it("a waitForReady call with no deadline keeps the process up until the server comes and answers; then it exits 0", async () => {
    const r = await runChild("wait-then-serve");
    expect(r.stderr).toBe("");
    expect(r.lines).toEqual(["listening", "settled OK waited"]);
    expect(r).toMatchObject({ code: 0, killed: false });
  });

  it("a waitForReady call with only AbortSignal.timeout(1000) settles with DEADLINE_EXCEEDED instead of the process exiting first", async () => {
    const r = await runChild("signal-timeout");
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^settled DEADLINE_EXCEEDED: /);
    expect(r).toMatchObject({ code: 0, killed: false });
  });

  it("a channel with no call pending lets the process exit by itself", async () => {
    const r = await runChild("idle", 10_000);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^settled UNAVAILABLE: failed to connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(r).toMatchObject({ code: 0, killed: false });
  });
});
