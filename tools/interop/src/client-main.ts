/**
 * The interop client binary: `interop-client --server_port=8080 --test_case=all`,
 * with the flags every gRPC implementation's interop client takes. Prints
 * "PASS <case>" or "FAIL <case>: <reason>" per case; exits 1 when any case failed,
 * 2 on a usage error. With --use_tls the server is verified against the system
 * roots, the test CA (--use_test_ca) or a CA file (--ca_file; given with --use_test_ca,
 * the file is the test CA), by the name of
 * --server_host_override when given (an empty value means grpc's default,
 * foo.test.google.fr) and by the server host otherwise. --transport picks the
 * HTTP/2 transport (h2 or http2; see @grpckit/transport-choice for the default).
 */
import type { TransportBuilder } from "@grpckit/core";
import { isTestCaseName, testCaseNames, type TestCaseName } from "./case-parameters.js";
import { runInteropClient } from "./client.js";
import { parseFlags, parsePort } from "./flags.js";
import { defaultServerHostOverride, testCaFile } from "./test-certificates.js";
import { transportFor } from "@grpckit/transport-choice";

const flagSpec = {
  server_host: "string",
  server_host_override: "string",
  server_port: "string",
  test_case: "string",
  use_tls: "boolean",
  use_test_ca: "boolean",
  ca_file: "string",
  transport: "string",
  // Accepted for the cloud-to-prod auth cases, which this client does not run.
  default_service_account: "string",
  oauth_scope: "string",
  service_account_key_file: "string",
} as const;

function usageError(message: string): never {
  console.error(`interop-client: ${message}`);
  process.exit(2);
}

function parseTestCases(value: string): TestCaseName[] {
  if (value === "all") return [...testCaseNames];
  return value.split(",").map((name) => {
    if (!isTestCaseName(name)) usageError(`unknown test case ${JSON.stringify(name)} (known: all, ${testCaseNames.join(", ")})`);
    return name;
  });
}

async function main(): Promise<void> {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2), flagSpec);
  } catch (err) {
    usageError((err as Error).message);
  }
  const useTls = flags.use_tls === true;
  if (!useTls && (flags.use_test_ca === true || flags.ca_file !== undefined || flags.server_host_override !== undefined)) {
    usageError("--use_test_ca, --ca_file and --server_host_override need --use_tls=true");
  }
  // Both together mean "trust this file as the test CA", as grpc-go's interop client reads
  // them and as test runners pass them: the file wins.
  const caFile = flags.ca_file ?? (flags.use_test_ca === true ? testCaFile : undefined);
  const serverHostOverride =
    flags.server_host_override === undefined ? undefined : flags.server_host_override || defaultServerHostOverride;
  if (flags.server_port === undefined) usageError("--server_port is required");
  if (flags.test_case === undefined) usageError("--test_case is required (a case name, or all)");
  let port: number;
  let transport: TransportBuilder;
  try {
    port = parsePort("server_port", flags.server_port);
    transport = transportFor(flags.transport);
  } catch (err) {
    usageError((err as Error).message);
  }
  const testCases = parseTestCases(flags.test_case);
  const host = flags.server_host ?? "localhost";
  const target = host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;

  const results = await runInteropClient({
    target,
    testCases,
    transport,
    useTls,
    caFile,
    serverHostOverride,
    onResult: ({ testCase, failure }) => {
      if (failure === undefined) console.log(`PASS ${testCase}`);
      else console.log(`FAIL ${failure.message}`);
    },
  });
  const failed = results.filter((r) => r.failure !== undefined).length;
  if (results.length > 1) console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(`interop-client: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
