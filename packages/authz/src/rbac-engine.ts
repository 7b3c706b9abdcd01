/**
 * A policy's rules compiled to an RBAC engine, as grpc-go translates an A43 policy to
 * RBAC: within a rule, every header (AND) and any path (OR) must match the request and
 * any principal (OR) the peer; a rule without `source` or `request` matches any peer or
 * request. An engine finds the first of its rules that matches.
 */
import type { Metadata } from "@grpckit/core";
import type { AuthzRule } from "./policy.js";
import type { PeerIdentity } from "./peer-identity.js";
import { compilePattern, type StringMatcher } from "./string-matcher.js";

/** What a rule is matched against. */
export interface RbacRequest {
  readonly path: string;
  readonly metadata: Metadata;
  readonly identity: PeerIdentity;
}

type RequestMatcher = (request: RbacRequest) => boolean;

export interface CompiledRule {
  readonly name: string;
  readonly matches: RequestMatcher;
}

/** The rules of one action; `match` returns the first matching rule's name. */
export interface RbacEngine {
  readonly action: "allow" | "deny";
  match(request: RbacRequest): string | undefined;
}

export function compileEngine(action: "allow" | "deny", rules: readonly AuthzRule[]): RbacEngine {
  const compiled = rules.map(compileRule);
  return {
    action,
    match(request) {
      for (const rule of compiled) if (rule.matches(request)) return rule.name;
      return undefined;
    },
  };
}

export function compileRule(rule: AuthzRule): CompiledRule {
  const checks: RequestMatcher[] = [];
  const principals = rule.source?.principals;
  if (principals !== undefined && principals.length > 0) checks.push(anyPrincipal(principals.map(compilePattern)));
  const paths = rule.request?.paths;
  if (paths !== undefined && paths.length > 0) {
    const matchers = paths.map(compilePattern);
    checks.push(({ path }) => matchers.some((m) => m(path)));
  }
  for (const header of rule.request?.headers ?? []) checks.push(headerMatcher(header.key, header.values.map(compilePattern)));
  return { name: rule.name, matches: (request) => checks.every((check) => check(request)) };
}

/**
 * A principal matches an authenticated (TLS) peer by its certificate's URI SANs, then
 * DNS SANs, then subject; a TLS peer without a certificate matches only a pattern that
 * matches "" (so not "*"); a plaintext peer matches none.
 */
function anyPrincipal(matchers: StringMatcher[]): RequestMatcher {
  return ({ identity }) => {
    if (!identity.authenticated) return false;
    return matchers.some((m) => {
      if (!identity.hasCertificate) return m("");
      return identity.uriSans.some(m) || identity.dnsSans.some(m) || m(identity.subject);
    });
  };
}

/** A header matches when present and its values, joined with ",", match one pattern; binary (-bin) headers never match. */
function headerMatcher(key: string, matchers: StringMatcher[]): RequestMatcher {
  if (key.endsWith("-bin")) return () => false;
  return ({ metadata }) => {
    const values = metadata.getAll(key);
    if (values.length === 0) return false;
    const joined = values.length === 1 ? String(values[0]) : values.map(String).join(",");
    return matchers.some((m) => m(joined));
  };
}
