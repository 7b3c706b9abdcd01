// Installs what the test suite needs from Debian's archive when it is missing, so a
// fresh machine needs nothing but `npm ci && npm test`: h2load (nghttp2-client) for the
// benchmark's smoke test, nghttp (nghttp2-client) and curl as independent HTTP/2 peers
// of transport-h2, dnsmasq for resolver-dns's tests against a real DNS server,
// openssl for the certificates the TLS tests make, chromium for the channelz page test
// and the browser clients calling grpckit (tools/interop/test/browser-*.test.ts),
// tinyproxy as the HTTP CONNECT proxy channels reach backends through.
import { execFileSync, spawnSync } from "node:child_process";

const needs = [
  { command: "h2load", pkg: "nghttp2-client" },
  { command: "nghttp", pkg: "nghttp2-client" },
  { command: "curl", pkg: "curl" },
  { command: "dnsmasq", pkg: "dnsmasq" },
  { command: "openssl", pkg: "openssl" },
  { command: "chromium", pkg: "chromium" },
  { command: "tinyproxy", pkg: "tinyproxy" },
];

function has(command) {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

const missing = needs.filter((n) => !has(n.command));
if (missing.length > 0) {
  const pkgs = [...new Set(missing.map((n) => n.pkg))];
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    console.error(`The tests need ${pkgs.join(", ")}. Install with: sudo apt-get update && sudo apt-get install -y ${pkgs.join(" ")}`);
    process.exit(1);
  }
  console.log(`installing ${pkgs.join(", ")} from Debian's archive`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], { stdio: "inherit", env });
  for (const n of missing) {
    if (!has(n.command)) {
      console.error(`${n.pkg} was installed but ${n.command} is still not on PATH`);
      process.exit(1);
    }
  }
}
