/**
 * @grpckit/authz: authorization for @grpckit/core servers. gRFC A43 policies (allow
 * and deny rules over the caller's mTLS principals and the request's path and headers)
 * enforced by a server tap before any handler runs, from a fixed policy or a watched
 * file, with gRFC A59 audit logging.
 */
export { createStaticAuthzPolicy, type AuthzPolicy } from "./static-policy.js";
export { createFileWatcherAuthzPolicy, type FileWatcherAuthzPolicy, type FileWatcherAuthzOptions } from "./file-watcher-policy.js";
export { parseAuthzPolicy, auditConditions, type AuthzPolicyJson, type ParsedAuthzPolicy, type AuthzRule, type AuditCondition } from "./policy.js";
export { compileAuthzPolicy, deniedMessage, type Authorizer, type AuthzDecision } from "./authorizer.js";
export type { AuditEvent, AuditLogger, AuditLoggerBuilder } from "./audit-logger.js";
export { auditLoggerRegistry, registerAuditLogger } from "./audit-logger-registry.js";
export { stdoutLoggerBuilder, auditLogLine, STDOUT_LOGGER_NAME } from "./stdout-logger.js";

