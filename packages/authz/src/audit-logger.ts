/**
 * Audit logging (gRFC A59): loggers a policy names in `audit_logging_options`, built
 * by name from a registry, each hearing the authorization decisions its policy's
 * `audit_condition` selects.
 */
import type { ConfigurableBuilder } from "@grpckit/core";

/** One authorization decision, as an audit logger hears it. */
export interface AuditEvent {
  /** The call's full method path, "/package.Service/Method". */
  readonly fullMethodName: string;
  /** The caller's SPIFFE ID (its certificate's one spiffe:// URI SAN); "" when it has none. */
  readonly principal: string;
  /** The policy's `name`. */
  readonly policyName: string;
  /** The rule that decided; "" when no allow rule matched. */
  readonly matchedRule: string;
  /** Whether the call was let through. */
  readonly authorized: boolean;
}

/** Receives audit events; called on the server's event loop for each audited call, so it must not block. */
export interface AuditLogger {
  log(event: AuditEvent): void;
}

/**
 * Builds an audit logger from the `config` a policy gives it (an object, `{}` when
 * omitted), validated by `configSchema` when the policy is loaded.
 *
 * @example
 * registerAuditLogger({
 *   name: "count_denials",
 *   configSchema: z.object({ label: z.string() }),
 *   build: ({ label }) => ({ log: (e) => { if (!e.authorized) denials.add(1, { label }); } }),
 * });
 */
export interface AuditLoggerBuilder<C = unknown> extends ConfigurableBuilder<C> {
  build(config: C): AuditLogger;
}
