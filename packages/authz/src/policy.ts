/**
 * The authorization policy of gRFC A43 (grpc-go's SDK policy), validated with zod: a
 * name, deny rules and allow rules over the caller's principals and the request's path
 * and headers, and the audit logging options of gRFC A59.
 */
import * as z from "zod";

/** Headers a rule may not match: pseudo-headers, gRPC's own headers and `host`, as gRFC A43 restricts them. */
function unsupportedHeaderKey(key: string): boolean {
  return key.startsWith(":") || key.startsWith("grpc-") || key === "host";
}

const headerSchema = z
  .object({
    key: z
      .string()
      .min(1, '"key" must not be empty')
      .transform((k) => k.toLowerCase())
      .refine((k) => !unsupportedHeaderKey(k), {
        error: (issue) => `header "${String(issue.input)}" cannot be matched: pseudo-headers, grpc- headers and host are not supported`,
      }),
    values: z.array(z.string()).min(1, '"values" needs at least one value'),
  })
  .strict();

const ruleSchema = z
  .object({
    name: z.string().min(1, 'a rule needs a non-empty "name"'),
    source: z.object({ principals: z.array(z.string()).optional() }).strict().optional(),
    request: z
      .object({
        paths: z.array(z.string()).optional(),
        headers: z.array(headerSchema).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** When a policy's audit loggers hear of a decision (gRFC A59). */
export const auditConditions = ["NONE", "ON_DENY", "ON_ALLOW", "ON_DENY_AND_ALLOW"] as const;
export type AuditCondition = (typeof auditConditions)[number];

const auditLoggerConfigSchema = z
  .object({
    name: z.string().min(1, 'an audit logger needs a non-empty "name"'),
    config: z.record(z.string(), z.unknown()).optional(),
    is_optional: z.boolean().optional(),
  })
  .strict();

const policySchema = z
  .object({
    name: z.string().min(1, 'the policy needs a non-empty "name"'),
    deny_rules: z.array(ruleSchema).optional(),
    allow_rules: z.array(ruleSchema, { error: (issue) => (issue.input === undefined ? '"allow_rules" is required' : undefined) }),
    audit_logging_options: z
      .object({
        audit_condition: z.enum(auditConditions).optional(),
        audit_loggers: z.array(auditLoggerConfigSchema).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** An authorization policy as written in JSON (gRFC A43, with gRFC A59's audit_logging_options). */
export type AuthzPolicyJson = z.input<typeof policySchema>;
/** A policy after validation: header keys lowercased. */
export type ParsedAuthzPolicy = z.output<typeof policySchema>;
export type AuthzRule = ParsedAuthzPolicy["allow_rules"][number];

/**
 * Validates a policy given as JSON text or as the parsed object. Throws an Error
 * naming each problem and where it is, e.g.
 * `invalid authorization policy: at "allow_rules[0].request.headers[0].key": header "grpc-foo" cannot be matched: …`.
 */
export function parseAuthzPolicy(policy: string | AuthzPolicyJson): ParsedAuthzPolicy {
  let raw: unknown = policy;
  if (typeof policy === "string") {
    try {
      raw = JSON.parse(policy);
    } catch (e) {
      throw new Error(`invalid authorization policy: not JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  const result = policySchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return path === "" ? issue.message : `at "${path}": ${issue.message}`;
  });
  throw new Error(`invalid authorization policy: ${problems.join("; ")}`, { cause: result.error });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}
