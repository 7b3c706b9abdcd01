/**
 * The file-watching policy over mutual TLS: a policy file rewritten while calls run is
 * in force within a second with no restart; a broken rewrite keeps the last good policy
 * and says why through core's logger; a first load that fails is an error.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, getLogger, setLogger, type Logger } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { createFileWatcherAuthzPolicy, type AuthzPolicyJson, type FileWatcherAuthzPolicy } from "../src/index.js";
import { codeOf, echoClient, pki, serve, useLoopback } from "./support.js";

useLoopback();

const transport = h2Transport();
const echo = "/grpckit.test.v1.EchoService/Echo";

let dir: string;
let watchers: FileWatcherAuthzPolicy[] = [];
let errors: string[] = [];
let previousLogger: Logger;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "grpckit-authz-policy-"));
  previousLogger = getLogger();
  setLogger({ error: (m) => errors.push(m), info: () => {}, debug: () => {} });
});
afterAll(() => {
  setLogger(previousLogger);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  errors = [];
});

const openEcho: AuthzPolicyJson = {
  name: "open-echo",
  allow_rules: [{ name: "frontend-echo", source: { principals: ["spiffe://grpckit.test/frontend"] }, request: { paths: [echo] } }],
};
const lockdown: AuthzPolicyJson = {
  name: "lockdown",
  deny_rules: [{ name: "frontend-out", source: { principals: ["spiffe://grpckit.test/frontend"] } }],
  allow_rules: [{ name: "admin-only", source: { principals: ["spiffe://grpckit.test/admin"] } }],
};

/** Replaces the file in one step, as a deploy should, so a reader never sees half of it. */
function writePolicy(path: string, policy: AuthzPolicyJson | string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, typeof policy === "string" ? policy : JSON.stringify(policy));
  renameSync(tmp, path);
}

let files = 0;
function policyFile(policy: AuthzPolicyJson | string): string {
  const path = join(dir, `policy-${files++}.json`);
  writePolicy(path, policy);
  return path;
}

function watch(path: string, refreshIntervalMs = 100): FileWatcherAuthzPolicy {
  const w = createFileWatcherAuthzPolicy(path, { refreshIntervalMs });
  watchers.push(w);
  return w;
}

describe("a file-watching authorization policy", () => {
  it("puts a policy file rewritten while calls run in force within a second, without a restart", async () => {
    const path = policyFile(openEcho);
    const watcher = watch(path);
    const { port, log } = await serve(transport, [watcher.tap]);
    const frontend = echoClient(transport, port, pki.frontend);

    const counts = { okBefore: 0, okAfter: 0, deniedAfter: 0, other: 0 };
    for (let i = 0; i < 20; i++) {
      const code = await codeOf(frontend.echo({ message: `before ${i}` }));
      if (code === 0) counts.okBefore++;
      else counts.other++;
    }
    writePolicy(path, lockdown);
    const rewrittenAt = Date.now();
    let inForceAfterMs: number | undefined;
    // Calls run until the new policy refuses one and 20 more after it, at most 5 s.
    while (Date.now() - rewrittenAt < 5000 && counts.deniedAfter < 21) {
      const code = await codeOf(frontend.echo({ message: "after" }));
      if (code === 0 && inForceAfterMs === undefined) counts.okAfter++;
      else if (code === Code.PERMISSION_DENIED) {
        inForceAfterMs ??= Date.now() - rewrittenAt;
        counts.deniedAfter++;
      } else counts.other++;
    }
    console.log(`policy rewrite in force after ${inForceAfterMs} ms; calls ${JSON.stringify(counts)}; handler calls ${log.contexts.length}`);
    expect(counts.okBefore).toBe(20);
    expect(counts.other).toBe(0);
    expect(counts.deniedAfter).toBe(21);
    expect(inForceAfterMs).toBeLessThan(1000);
    // Once refused, every later call was refused too, and no refused call reached a handler.
    expect(log.contexts).toHaveLength(counts.okBefore + counts.okAfter);
    expect(watcher.policyName).toBe("lockdown");
    expect(await codeOf(echoClient(transport, port, pki.admin).echo({ message: "admin" }))).toBe(0);
  });

  it("keeps the last good policy when the file becomes invalid, logs why once, and takes the next good one", async () => {
    const path = policyFile(openEcho);
    const watcher = watch(path, 60_000);
    const { port } = await serve(transport, [watcher.tap]);
    const frontend = echoClient(transport, port, pki.frontend);

    writePolicy(path, { ...lockdown, allow_rules: [{ name: "bad", request: { headers: [{ key: "grpc-trace-bin", values: ["x"] }] } }] });
    await watcher.reload();
    await watcher.reload();
    expect(await codeOf(frontend.echo({ message: "still allowed" }))).toBe(0);
    expect(watcher.policyName).toBe("open-echo");
    const why = `${path}: invalid authorization policy: at "allow_rules[0].request.headers[0].key": header "grpc-trace-bin" cannot be matched: pseudo-headers, grpc- headers and host are not supported`;
    expect(watcher.lastError?.message).toBe(why);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`authz: keeping policy "open-echo": ${why}`);

    writePolicy(path, '{"name": "cut off", "allow_rules": [');
    await watcher.reload();
    expect(await codeOf(frontend.echo({ message: "still allowed" }))).toBe(0);
    expect(errors).toHaveLength(2);
    expect(errors[1]).toMatch(/keeping policy "open-echo": .*policy-\d+\.json: invalid authorization policy: not JSON: /);

    writePolicy(path, lockdown);
    await watcher.reload();
    expect(watcher.lastError).toBeUndefined();
    expect(await codeOf(frontend.echo({ message: "now refused" }))).toBe(Code.PERMISSION_DENIED);
  });

  it("keeps the policy when the file disappears, and picks the file up again when it comes back", async () => {
    const path = policyFile(openEcho);
    const watcher = watch(path, 60_000);
    const { port } = await serve(transport, [watcher.tap]);
    const frontend = echoClient(transport, port, pki.frontend);
    rmSync(path);
    await watcher.reload();
    expect(watcher.lastError?.message).toMatch(/^cannot read .*policy-\d+\.json: ENOENT/);
    expect(await codeOf(frontend.echo({ message: "x" }))).toBe(0);
    writePolicy(path, lockdown);
    await watcher.reload();
    expect(await codeOf(frontend.echo({ message: "x" }))).toBe(Code.PERMISSION_DENIED);
  });

  it("fails to start on a missing or invalid file, or without a positive refresh interval", () => {
    expect(() => createFileWatcherAuthzPolicy(join(dir, "missing.json"), { refreshIntervalMs: 100 })).toThrow(
      /^cannot read the authorization policy file .*missing\.json: ENOENT/,
    );
    const noAllow = policyFile('{"name": "half"}');
    expect(() => createFileWatcherAuthzPolicy(noAllow, { refreshIntervalMs: 100 })).toThrow(
      `${noAllow}: invalid authorization policy: at "allow_rules": "allow_rules" is required`,
    );
    const good = policyFile(openEcho);
    expect(() => createFileWatcherAuthzPolicy(good, { refreshIntervalMs: 0 })).toThrow("refreshIntervalMs must be a positive number of milliseconds, got 0");
    expect(() => createFileWatcherAuthzPolicy(good, {} as never)).toThrow("refreshIntervalMs must be a positive number of milliseconds, got undefined");
  });

  it("stops reading the file once closed, and its tap keeps the policy last loaded", async () => {
    const path = policyFile(openEcho);
    const watcher = watch(path, 50);
    const { port } = await serve(transport, [watcher.tap]);
    watcher.close();
    writePolicy(path, lockdown);
    await new Promise((r) => setTimeout(r, 300));
    expect(await codeOf(echoClient(transport, port, pki.frontend).echo({ message: "x" }))).toBe(0);
    expect(watcher.policyName).toBe("open-echo");
  });
});
