/**
 * Audit logging (gRFC A59) over mutual TLS: each audit_condition selects which
 * decisions the policy's loggers hear, loggers are built by name from the registry with
 * their config validated, and stdout_logger writes grpc-go's JSON line.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { Code } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import {
  auditConditions,
  createStaticAuthzPolicy,
  registerAuditLogger,
  type AuditCondition,
  type AuditEvent,
  type AuthzPolicyJson,
} from "../src/index.js";
import { codeOf, drain, echoClient, messages, pki, serve, useLoopback } from "./support.js";

useLoopback();

const transport = h2Transport();
const svc = "/grpckit.test.v1.EchoService";

/** Events each built logger heard, by the `label` its config gave it. */
const heard = new Map<string, AuditEvent[]>();
registerAuditLogger({
  name: "test_recorder",
  configSchema: z.object({ label: z.string() }).strict(),
  build: ({ label }) => {
    const events: AuditEvent[] = [];
    heard.set(label, events);
    return { log: (event) => events.push(event) };
  },
});

afterEach(() => heard.clear());

function policyWith(condition: AuditCondition | undefined, loggers: NonNullable<AuthzPolicyJson["audit_logging_options"]>["audit_loggers"]): AuthzPolicyJson {
  return {
    name: "audited",
    deny_rules: [{ name: "no-chat", request: { paths: [`${svc}/Chat`] } }],
    allow_rules: [{ name: "frontend-echo", source: { principals: ["spiffe://grpckit.test/frontend"] }, request: { paths: [`${svc}/Echo`] } }],
    audit_logging_options: { ...(condition === undefined ? {} : { audit_condition: condition }), audit_loggers: loggers },
  };
}

/** One allowed call, one refused by a deny rule, one refused because no allow rule matched. */
async function threeCalls(port: number): Promise<void> {
  const frontend = echoClient(transport, port, pki.frontend);
  expect(await codeOf(frontend.echo({ message: "allowed" }))).toBe(0);
  expect(await codeOf(frontend.collect(messages({ message: "no allow rule" })))).toBe(Code.PERMISSION_DENIED);
  expect(await codeOf(drain(frontend.chat(messages({ message: "deny rule" }))))).toBe(Code.PERMISSION_DENIED);
}

const allowed: AuditEvent = { fullMethodName: `${svc}/Echo`, principal: "spiffe://grpckit.test/frontend", policyName: "audited", matchedRule: "frontend-echo", authorized: true };
const noAllowRule: AuditEvent = { fullMethodName: `${svc}/Collect`, principal: "spiffe://grpckit.test/frontend", policyName: "audited", matchedRule: "", authorized: false };
const denyRule: AuditEvent = { fullMethodName: `${svc}/Chat`, principal: "spiffe://grpckit.test/frontend", policyName: "audited", matchedRule: "no-chat", authorized: false };

describe("audit logging", () => {
  it.each([
    ["NONE", []],
    ["ON_DENY", [noAllowRule, denyRule]],
    ["ON_ALLOW", [allowed]],
    ["ON_DENY_AND_ALLOW", [allowed, noAllowRule, denyRule]],
  ] as [AuditCondition, AuditEvent[]][])("with audit_condition %s, the loggers hear exactly those decisions", async (condition, expected) => {
    const policy = createStaticAuthzPolicy(policyWith(condition, [{ name: "test_recorder", config: { label: condition } }]));
    const { port, log } = await serve(transport, [policy.tap]);
    await threeCalls(port);
    expect(heard.get(condition)).toEqual(expected);
    expect(log.contexts).toHaveLength(1);
  });

  it("hears nothing when audit_condition is left out (NONE is the default), and each logger of a policy hears every audited event", async () => {
    expect(auditConditions).toEqual(["NONE", "ON_DENY", "ON_ALLOW", "ON_DENY_AND_ALLOW"]);
    const quiet = createStaticAuthzPolicy(policyWith(undefined, [{ name: "test_recorder", config: { label: "default" } }]));
    await threeCalls((await serve(transport, [quiet.tap])).port);
    expect(heard.get("default")).toEqual([]);

    const two = createStaticAuthzPolicy(
      policyWith("ON_DENY", [
        { name: "test_recorder", config: { label: "first" } },
        { name: "test_recorder", config: { label: "second" } },
      ]),
    );
    await threeCalls((await serve(transport, [two.tap])).port);
    expect(heard.get("first")).toEqual([noAllowRule, denyRule]);
    expect(heard.get("second")).toEqual([noAllowRule, denyRule]);
  });

  it("gives a peer without a SPIFFE ID the empty principal", async () => {
    const policy = createStaticAuthzPolicy({
      name: "dns",
      allow_rules: [{ name: "batch", source: { principals: ["batch.internal"] } }],
      audit_logging_options: { audit_condition: "ON_ALLOW", audit_loggers: [{ name: "test_recorder", config: { label: "dns" } }] },
    });
    const { port } = await serve(transport, [policy.tap]);
    expect(await codeOf(echoClient(transport, port, pki.batch).echo({ message: "x" }))).toBe(0);
    expect(heard.get("dns")).toEqual([{ fullMethodName: `${svc}/Echo`, principal: "", policyName: "dns", matchedRule: "batch", authorized: true }]);
  });

  it("refuses a policy naming an unregistered logger unless it is_optional, and a config the logger's schema refuses", () => {
    expect(() => createStaticAuthzPolicy(policyWith("ON_DENY", [{ name: "no_such_logger" }]))).toThrow(
      'invalid authorization policy: at "audit_logging_options.audit_loggers[0]": no audit logger registered for "no_such_logger" (registered: stdout_logger, test_recorder); register it or mark it "is_optional"',
    );
    expect(createStaticAuthzPolicy(policyWith("ON_DENY", [{ name: "no_such_logger", is_optional: true }])).policyName).toBe("audited");
    expect(() => createStaticAuthzPolicy(policyWith("ON_DENY", [{ name: "test_recorder", config: { label: 5 } }]))).toThrow(
      /^invalid authorization policy: at "audit_logging_options.audit_loggers\[0\]": invalid config for "test_recorder": at "label": Invalid input: expected string, received number$/,
    );
  });

  it("stdout_logger writes one JSON line per event with rpc_method, principal, policy_name, matched_rule, authorized and timestamp", async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.includes("grpc_audit_log")) {
        lines.push(text);
        return true;
      }
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write);
    try {
      const policy = createStaticAuthzPolicy(policyWith("ON_DENY_AND_ALLOW", [{ name: "stdout_logger", config: {} }]));
      const before = Date.now();
      await threeCalls((await serve(transport, [policy.tap])).port);
      expect(lines).toHaveLength(3);
      expect(lines.every((l) => l.endsWith("}\n") && l.indexOf("\n") === l.length - 1)).toBe(true);
      const entries = lines.map((l) => JSON.parse(l).grpc_audit_log);
      expect(entries.map(({ timestamp: _, ...rest }) => rest)).toEqual([
        { rpc_method: `${svc}/Echo`, principal: "spiffe://grpckit.test/frontend", policy_name: "audited", matched_rule: "frontend-echo", authorized: true },
        { rpc_method: `${svc}/Collect`, principal: "spiffe://grpckit.test/frontend", policy_name: "audited", matched_rule: "", authorized: false },
        { rpc_method: `${svc}/Chat`, principal: "spiffe://grpckit.test/frontend", policy_name: "audited", matched_rule: "no-chat", authorized: false },
      ]);
      for (const { timestamp } of entries) {
        expect(timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(Date.parse(timestamp)).toBeGreaterThanOrEqual(before - 1);
      }
    } finally {
      spy.mockRestore();
    }
  });
});
