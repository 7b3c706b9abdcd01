/**
 * The authorization example: an Accounts server over mutual TLS whose policy lives in a
 * file. A teller may read balances but never close an account; an auditor may do both.
 * Denials are audited to stdout. Then the policy file is rewritten so tellers lose read
 * access, and the server enforces the new policy without a restart.
 */
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GrpcError, codeName, createChannel, createClient, createServer, type ServiceImpl } from "@grpckit/core";
import { createFileWatcherAuthzPolicy, type AuthzPolicyJson } from "@grpckit/authz";
import { tlsChannelCredentials, tlsServerCredentials } from "@grpckit/credentials-tls";
import { h2Transport } from "@grpckit/transport-h2";
import { makeCertificates, type KeyPair } from "./certificates.js";
import { Accounts } from "./gen/bank/v1/accounts_pb.js";

export { Accounts };

export const accounts: ServiceImpl<typeof Accounts> = {
  getBalance: ({ account }) => ({ account, cents: 12_345n }),
  closeAccount: ({ account }) => ({ account }),
};

/** Who may do what: deny rules are checked first, and a call no allow rule matches is refused. */
export function policy(tellersRead: boolean): AuthzPolicyJson {
  return {
    name: "accounts",
    deny_rules: [
      { name: "tellers-never-close", source: { principals: ["spiffe://bank.example/teller"] }, request: { paths: ["/bank.v1.Accounts/CloseAccount"] } },
    ],
    allow_rules: [
      {
        name: "staff-read-balances",
        source: { principals: tellersRead ? ["spiffe://bank.example/*"] : ["spiffe://bank.example/auditor"] },
        request: { paths: ["/bank.v1.Accounts/GetBalance"] },
      },
      { name: "auditors-do-anything", source: { principals: ["spiffe://bank.example/auditor"] } },
    ],
    audit_logging_options: { audit_condition: "ON_DENY", audit_loggers: [{ name: "stdout_logger" }] },
  };
}

/** Runs the example, printing one line per step through `print`. */
export async function runExample(print: (line: string) => void): Promise<void> {
  const certs = makeCertificates();
  const transport = h2Transport();
  const policyPath = join(certs.dir, "policy.json");
  // Written whole and renamed into place, so the watcher never reads half a file.
  const writePolicy = (p: AuthzPolicyJson) => {
    writeFileSync(`${policyPath}.tmp`, JSON.stringify(p, null, 2));
    renameSync(`${policyPath}.tmp`, policyPath);
  };
  writePolicy(policy(true));

  const authz = createFileWatcherAuthzPolicy(policyPath, { refreshIntervalMs: 1000 });
  const server = createServer({
    transport,
    credentials: tlsServerCredentials({ ...certs.server, ca: certs.ca, clientCertificate: "require" }),
    taps: [authz.tap],
  });
  server.addService(Accounts, accounts);
  const { port } = await server.listen("127.0.0.1:0");
  print(`server listening on 127.0.0.1:${port} with policy "${authz.policyName}"`);

  const channels = [] as ReturnType<typeof createChannel>[];
  const clientFor = (identity: KeyPair) => {
    const channel = createChannel(`127.0.0.1:${port}`, { transport, credentials: tlsChannelCredentials({ ca: certs.ca, ...identity }) });
    channels.push(channel);
    return createClient(Accounts, channel);
  };
  const teller = clientFor(certs.teller);
  const auditor = clientFor(certs.auditor);
  const attempt = async (who: string, what: string, call: Promise<unknown>) => {
    try {
      await call;
      print(`${who.padEnd(7)} ${what.padEnd(12)} -> OK`);
    } catch (e) {
      const err = GrpcError.from(e);
      print(`${who.padEnd(7)} ${what.padEnd(12)} -> ${codeName(err.code)}: ${err.rawMessage}`);
    }
  };

  try {
    await attempt("teller", "GetBalance", teller.getBalance({ account: "42" }));
    await attempt("teller", "CloseAccount", teller.closeAccount({ account: "42" }));
    await attempt("auditor", "CloseAccount", auditor.closeAccount({ account: "42" }));

    writePolicy(policy(false));
    // The watcher reads the file every second; reload() reads it now.
    await authz.reload();
    print("policy rewritten: tellers may no longer read balances");
    await attempt("teller", "GetBalance", teller.getBalance({ account: "42" }));
    await attempt("auditor", "GetBalance", auditor.getBalance({ account: "42" }));
  } finally {
    for (const c of channels) c.close();
    await server.shutdown();
    authz.close();
    certs.dispose();
    print("server shut down");
  }
}
