/**
 * The built-in `stdout_logger` audit logger: one JSON line per event on standard
 * output, `{"grpc_audit_log":{rpc_method, principal, policy_name, matched_rule,
 * authorized, timestamp}}`, the fields and names grpc-go's stdout logger writes.
 */
import { LogVerbosity, log } from "@grpckit/core";
import * as z from "zod";
import type { AuditEvent, AuditLogger, AuditLoggerBuilder } from "./audit-logger.js";

export const STDOUT_LOGGER_NAME = "stdout_logger";

/** The line written for one event, without its newline. */
export function auditLogLine(event: AuditEvent, timestamp: Date): string {
  return JSON.stringify({
    grpc_audit_log: {
      rpc_method: event.fullMethodName,
      principal: event.principal,
      policy_name: event.policyName,
      matched_rule: event.matchedRule,
      authorized: event.authorized,
      timestamp: timestamp.toISOString(),
    },
  });
}

/** `stdout_logger` takes no settings; a config given to it is ignored (and said so), as grpc-go does. */
export const stdoutLoggerBuilder: AuditLoggerBuilder<Record<string, unknown>> = {
  name: STDOUT_LOGGER_NAME,
  configSchema: z.record(z.string(), z.unknown()),
  build(config): AuditLogger {
    if (Object.keys(config).length > 0) log(LogVerbosity.INFO, `authz: ${STDOUT_LOGGER_NAME} takes no config; ignoring ${JSON.stringify(config)}`);
    return { log: (event) => void process.stdout.write(`${auditLogLine(event, new Date())}\n`) };
  },
};
