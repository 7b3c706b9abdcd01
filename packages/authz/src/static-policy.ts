/** A policy fixed for the server's life (grpc-go's authz.NewStatic). */
import type { ServerTap } from "@grpckit/core";
import { compileAuthzPolicy, enforce, type Authorizer } from "./authorizer.js";
import type { AuthzPolicyJson } from "./policy.js";

/** An authorization policy to put on a server: `createServer({ taps: [policy.tap] })`. */
export interface AuthzPolicy {
  /** The policy's `name`. */
  readonly policyName: string;
  /** The server tap that enforces the policy: a denied call ends with PERMISSION_DENIED before its handler runs. */
  readonly tap: ServerTap;
}

/**
 * Compiles an authorization policy (JSON text or the parsed object). Throws an Error
 * saying what is wrong when the policy is invalid.
 *
 * @example
 * const authz = createStaticAuthzPolicy({
 *   name: "orders",
 *   deny_rules: [{ name: "no-admin", request: { paths: ["/orders.Admin/*"] } }],
 *   allow_rules: [{ name: "frontend", source: { principals: ["spiffe://example.org/frontend"] } }],
 * });
 * const server = createServer({ transport: h2Transport(), credentials, taps: [authz.tap] });
 */
export function createStaticAuthzPolicy(policy: string | AuthzPolicyJson): AuthzPolicy {
  const authorizer: Authorizer = compileAuthzPolicy(policy);
  return { policyName: authorizer.policyName, tap: (info) => enforce(authorizer, info) };
}
