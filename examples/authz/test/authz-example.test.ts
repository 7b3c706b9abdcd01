/**
 * The authorization example over real mutual TLS: what it prints, step by step, and the
 * audit lines stdout_logger writes for its two denials.
 */
import { expect, it, vi } from "vitest";
import { runExample } from "../src/run.js";

it("allows and refuses as the policy file says, audits the denials, and enforces the rewritten policy without a restart", async () => {
  const audit: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (String(chunk).includes("grpc_audit_log")) {
      audit.push(String(chunk));
      return true;
    }
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write);
  const lines: string[] = [];
  try {
    await runExample((line) => lines.push(line));
  } finally {
    spy.mockRestore();
  }
  expect(lines[0]).toMatch(/^server listening on 127\.0\.0\.1:\d+ with policy "accounts"$/);
  expect(lines.slice(1)).toEqual([
    "teller  GetBalance   -> OK",
    "teller  CloseAccount -> PERMISSION_DENIED: unauthorized RPC request rejected",
    "auditor CloseAccount -> OK",
    "policy rewritten: tellers may no longer read balances",
    "teller  GetBalance   -> PERMISSION_DENIED: unauthorized RPC request rejected",
    "auditor GetBalance   -> OK",
    "server shut down",
  ]);
  expect(audit.map((line) => {
    const { timestamp: _, ...event } = JSON.parse(line).grpc_audit_log;
    return event;
  })).toEqual([
    { rpc_method: "/bank.v1.Accounts/CloseAccount", principal: "spiffe://bank.example/teller", policy_name: "accounts", matched_rule: "tellers-never-close", authorized: false },
    { rpc_method: "/bank.v1.Accounts/GetBalance", principal: "spiffe://bank.example/teller", policy_name: "accounts", matched_rule: "", authorized: false },
  ]);
});
