/**
 * A validated policy compiled for enforcement: a deny engine (when the policy has deny
 * rules), then an allow engine. A call matching a deny rule is refused; otherwise it
 * must match an allow rule, or it is refused too. Each engine tells the policy's audit
 * loggers of its decision as gRFC A59 maps `audit_condition` onto it.
 */
import { Code, GrpcError, LogVerbosity, log, parseBuilderConfig, trace, type TapInfo } from "@grpckit/core";
import type { AuditLogger } from "./audit-logger.js";
import { auditLoggerRegistry } from "./audit-logger-registry.js";
import { peerIdentity } from "./peer-identity.js";
import { parseAuthzPolicy, type AuditCondition, type AuthzPolicyJson, type ParsedAuthzPolicy } from "./policy.js";
import { compileEngine, type RbacEngine, type RbacRequest } from "./rbac-engine.js";

/** The message a refused call gets; what matched is logged on the server, not told to the caller. */
export const deniedMessage = "unauthorized RPC request rejected";

/** The outcome of one authorization. */
export interface AuthzDecision {
  readonly authorized: boolean;
  /** The rule that decided: a deny rule that matched, or the allow rule that let the call in; "" when no allow rule matched. */
  readonly matchedRule: string;
}

interface AuditedEngine {
  readonly engine: RbacEngine;
  readonly logDenials: boolean;
  readonly logAllows: boolean;
}

/** A compiled policy. */
export interface Authorizer {
  readonly policyName: string;
  /** Decides a call, and tells the audit loggers. */
  authorize(info: TapInfo): AuthzDecision;
}

/**
 * Validates and compiles a policy, building its audit loggers. Throws an Error saying
 * what is wrong: an invalid policy, an audit logger that is not registered (unless
 * `is_optional`), or a logger config its builder refuses.
 */
export function compileAuthzPolicy(policy: string | AuthzPolicyJson): Authorizer {
  const parsed = parseAuthzPolicy(policy);
  const condition: AuditCondition = parsed.audit_logging_options?.audit_condition ?? "NONE";
  const loggers = buildLoggers(parsed);
  const engines: AuditedEngine[] = [];
  const denyRules = parsed.deny_rules ?? [];
  // A deny engine only ever denies, so it audits denials alone (ON_ALLOW means nothing to it).
  if (denyRules.length > 0) {
    engines.push({ engine: compileEngine("deny", denyRules), logDenials: condition === "ON_DENY" || condition === "ON_DENY_AND_ALLOW", logAllows: false });
  }
  engines.push({
    engine: compileEngine("allow", parsed.allow_rules),
    logDenials: condition === "ON_DENY" || condition === "ON_DENY_AND_ALLOW",
    logAllows: condition === "ON_ALLOW" || condition === "ON_DENY_AND_ALLOW",
  });
  const policyName = parsed.name;

  const audit = (info: TapInfo, request: RbacRequest, decision: AuthzDecision) => {
    for (const logger of loggers) {
      try {
        logger.log({
          fullMethodName: info.path,
          principal: request.identity.spiffeId,
          policyName,
          matchedRule: decision.matchedRule,
          authorized: decision.authorized,
        });
      } catch (e) {
        log(LogVerbosity.ERROR, `authz: an audit logger of policy "${policyName}" threw: ${(e as Error)?.message ?? String(e)}`);
      }
    }
  };

  return {
    policyName,
    authorize(info) {
      const request: RbacRequest = { path: info.path, metadata: info.metadata, identity: peerIdentity(info.peer) };
      let decision: AuthzDecision = { authorized: true, matchedRule: "" };
      for (const { engine, logDenials, logAllows } of engines) {
        const matched = engine.match(request);
        if (engine.action === "deny") {
          if (matched === undefined) continue;
          decision = { authorized: false, matchedRule: matched };
        } else {
          decision = matched === undefined ? { authorized: false, matchedRule: "" } : { authorized: true, matchedRule: matched };
        }
        if (loggers.length > 0 && (decision.authorized ? logAllows : logDenials)) audit(info, request, decision);
        if (!decision.authorized) break;
      }
      return decision;
    },
  };
}

function buildLoggers(policy: ParsedAuthzPolicy): AuditLogger[] {
  const loggers: AuditLogger[] = [];
  for (const [i, entry] of (policy.audit_logging_options?.audit_loggers ?? []).entries()) {
    const builder = auditLoggerRegistry.get(entry.name);
    if (builder === undefined) {
      if (entry.is_optional === true) continue;
      throw new Error(
        `invalid authorization policy: at "audit_logging_options.audit_loggers[${i}]": no audit logger registered for "${entry.name}" (registered: ${auditLoggerRegistry.names().join(", ")}); register it or mark it "is_optional"`,
      );
    }
    let config: unknown;
    try {
      config = parseBuilderConfig(builder, entry.config ?? {});
    } catch (e) {
      throw new Error(`invalid authorization policy: at "audit_logging_options.audit_loggers[${i}]": ${(e as Error).message}`, { cause: e });
    }
    loggers.push(builder.build(config));
  }
  return loggers;
}

/** Refuses a call `authorizer` denies with PERMISSION_DENIED; the reason goes to the "authz" trace. */
export function enforce(authorizer: Authorizer, info: TapInfo): void {
  const decision = authorizer.authorize(info);
  if (decision.authorized) return;
  trace(
    "authz",
    `policy "${authorizer.policyName}" refused ${info.path} from ${info.peer.address}: ${decision.matchedRule === "" ? "no allow rule matched" : `deny rule "${decision.matchedRule}" matched`}`,
  );
  throw new GrpcError(Code.PERMISSION_DENIED, deniedMessage);
}
