/** Validating a gRFC A43 policy: what is accepted, and the error that says what is wrong. */
import { describe, expect, it } from "vitest";
import { createStaticAuthzPolicy, parseAuthzPolicy } from "../src/index.js";

const allowAll = [{ name: "all" }];

function problem(policy: unknown): string {
  try {
    parseAuthzPolicy(policy as never);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("the policy was accepted");
}

describe("parseAuthzPolicy", () => {
  it("accepts grpc-go's example policy as JSON text, lowercasing header keys", () => {
    const parsed = parseAuthzPolicy(`{
      "name": "authz",
      "deny_rules": [{ "name": "deny_policy_1", "source": { "principals": ["spiffe://foo.abc"] } }],
      "allow_rules": [{
        "name": "allow_policy_1",
        "request": { "paths": ["/pkg.Service/*"], "headers": [{ "key": "X-Key-A", "values": ["foo", "bar*"] }] }
      }],
      "audit_logging_options": { "audit_condition": "ON_DENY", "audit_loggers": [{ "name": "stdout_logger", "config": {}, "is_optional": false }] }
    }`);
    expect(parsed.name).toBe("authz");
    expect(parsed.allow_rules[0].request?.headers?.[0].key).toBe("x-key-a");
    expect(parsed.audit_logging_options?.audit_condition).toBe("ON_DENY");
  });

  it("accepts an empty allow_rules list, which denies every call", () => {
    expect(parseAuthzPolicy({ name: "closed", allow_rules: [] }).allow_rules).toEqual([]);
  });

  it.each([
    [":path", '"allow_rules[0].request.headers[0].key": header ":path" cannot be matched: pseudo-headers, grpc- headers and host are not supported'],
    ["grpc-timeout", '"allow_rules[0].request.headers[0].key": header "grpc-timeout" cannot be matched'],
    ["Host", '"allow_rules[0].request.headers[0].key": header "host" cannot be matched'],
  ])("refuses a rule on header %s", (key, message) => {
    expect(problem({ name: "p", allow_rules: [{ name: "r", request: { headers: [{ key, values: ["x"] }] } }] })).toContain(message);
  });

  it("names each problem and where it is", () => {
    expect(problem({ allow_rules: allowAll })).toBe('invalid authorization policy: at "name": Invalid input: expected string, received undefined');
    expect(problem({ name: "p" })).toBe('invalid authorization policy: at "allow_rules": "allow_rules" is required');
    expect(problem({ name: "p", allow_rules: [{ source: { principals: ["a"] } }] })).toBe(
      'invalid authorization policy: at "allow_rules[0].name": Invalid input: expected string, received undefined',
    );
    expect(problem({ name: "p", allow_rules: [{ name: "r", request: { headers: [{ key: "x-a", values: [] }] } }] })).toBe(
      'invalid authorization policy: at "allow_rules[0].request.headers[0].values": "values" needs at least one value',
    );
    expect(problem({ name: "p", allow_rules: [{ name: "r", request: { methods: ["GET"] } }] })).toBe(
      'invalid authorization policy: at "allow_rules[0].request": Unrecognized key: "methods"',
    );
    expect(problem({ name: "p", allow_rules: allowAll, audit_logging_options: { audit_condition: "SOMETIMES" } })).toMatch(
      /^invalid authorization policy: at "audit_logging_options.audit_condition": Invalid option: expected one of "NONE"\|"ON_DENY"\|"ON_ALLOW"\|"ON_DENY_AND_ALLOW"$/,
    );
    expect(problem("{ not json")).toMatch(/^invalid authorization policy: not JSON: /);
  });

  it("is checked when a static policy is made, so a server never runs with a broken one", () => {
    expect(() => createStaticAuthzPolicy({ name: "", allow_rules: allowAll })).toThrow('invalid authorization policy: at "name": the policy needs a non-empty "name"');
  });
});
