/** The process's audit logger builders, by name, with the built-in `stdout_logger` in it from the start. */
import { Registry } from "@grpckit/core";
import type { AuditLoggerBuilder } from "./audit-logger.js";
import { stdoutLoggerBuilder } from "./stdout-logger.js";

/** Audit logger builders by name; a policy's `audit_loggers` entries are looked up here when it loads. */
export const auditLoggerRegistry = new Registry<AuditLoggerBuilder<any>>("audit logger").register(stdoutLoggerBuilder);

/** Registers an audit logger builder under its name (replacing one of the same name). */
export function registerAuditLogger<C>(builder: AuditLoggerBuilder<C>): void {
  auditLoggerRegistry.register(builder);
}
