/**
 * The interop server binary: `interop-server --port=8080 [--use_tls=true]
 * [--tls_cert_file=...] [--tls_key_file=...]`, the flags every gRPC
 * implementation's interop server takes. TLS uses testdata/server1.pem and .key
 * unless the files are given. --transport picks the HTTP/2 transport (h2 or http2;
 * see @grpckit/transport-choice for the default).
 */
import type { TransportBuilder } from "@grpckit/core";
import { parseFlags, parsePort } from "./flags.js";
import { startInteropServer, type InteropServer, type InteropServerOptions } from "./server.js";
import { transportFor } from "@grpckit/transport-choice";

const flagSpec = {
  port: "string",
  use_tls: "boolean",
  tls_cert_file: "string",
  tls_key_file: "string",
  transport: "string",
} as const;

function usageError(message: string): never {
  console.error(`interop-server: ${message}`);
  process.exit(2);
}

/** Binds every interface: IPv6 and IPv4 where the host has IPv6, IPv4 alone otherwise. */
async function listenEverywhere(options: InteropServerOptions): Promise<InteropServer> {
  try {
    return await startInteropServer({ ...options, host: "::" });
  } catch {
    return startInteropServer({ ...options, host: "0.0.0.0" });
  }
}

async function main(): Promise<void> {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2), flagSpec);
  } catch (err) {
    usageError((err as Error).message);
  }
  const useTls = flags.use_tls === true;
  if (!useTls && (flags.tls_cert_file !== undefined || flags.tls_key_file !== undefined)) {
    usageError("--tls_cert_file and --tls_key_file need --use_tls=true");
  }
  if (flags.port === undefined) usageError("--port is required");
  let port: number;
  let transport: TransportBuilder;
  try {
    port = parsePort("port", flags.port);
    transport = transportFor(flags.transport);
  } catch (err) {
    usageError((err as Error).message);
  }

  const server = await listenEverywhere({ port, useTls, tlsCertFile: flags.tls_cert_file, tlsKeyFile: flags.tls_key_file, transport });
  console.log(`interop server listening on ${server.address} (transport ${transport.name})`);
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`interop-server: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
