/**
 * A real DNS server for the tests: dnsmasq on 127.0.0.1 at a free port, serving the
 * names the test writes. Names under `.test` that it does not know answer NXDOMAIN.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DnsRecords {
  /** name → loopback addresses (127.0.0.x or ::1); served from an addn-hosts file, reloaded on SIGHUP. */
  hosts?: Record<string, string[]>;
  /** name → TXT records, each given as one string (dnsmasq splits long ones into 255-byte chunks). */
  txt?: Record<string, string[]>;
}

function findDnsmasq(): string {
  for (const candidate of ["dnsmasq", "/usr/sbin/dnsmasq", "/sbin/dnsmasq"]) {
    if (spawnSync(candidate, ["--version"], { stdio: "ignore" }).status === 0) return candidate;
  }
  throw new Error(
    "dnsmasq is not installed: the resolver-dns tests need a real DNS server. Run `node scripts/setup-test-deps.mjs` from the repository root.",
  );
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function assertLoopback(addr: string): void {
  if (!/^127\.\d+\.\d+\.\d+$/.test(addr) && addr !== "::1") {
    throw new Error(`test DNS records must point at loopback addresses, not ${addr}`);
  }
}

export class Dnsmasq {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "grpckit-dnsmasq-"));
  private readonly hostsFile = join(this.dir, "hosts");
  private readonly confFile = join(this.dir, "dnsmasq.conf");
  private readonly binary = findDnsmasq();
  private stderr = "";
  port = 0;

  /** "127.0.0.1:port", for Resolver.setServers or a target's authority. */
  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Writes the records and starts the server; resolves once it answers. */
  async start(records: DnsRecords): Promise<void> {
    this.write(records);
    // dnsmasq listens on UDP and TCP: a port free for UDP a moment ago may be taken for
    // TCP by another process on this shared machine; a few fresh ports settle it.
    for (let attempt = 1; ; attempt++) {
      this.port = await freeUdpPort();
      try {
        await this.spawn();
        return;
      } catch (e) {
        if (attempt >= 5 || !/Address already in use/.test((e as Error).message)) throw e;
      }
    }
  }

  /** Replaces the host records; dnsmasq rereads them on SIGHUP without restarting. */
  async setHosts(hosts: Record<string, string[]>, probe: string): Promise<void> {
    this.writeHosts(hosts);
    this.child?.kill("SIGHUP");
    const want = [...(hosts[probe] ?? [])].filter((a) => !a.includes(":")).sort().join(",");
    const r = new Resolver();
    r.setServers([this.server]);
    for (let i = 0; i < 100; i++) {
      const got = await r.resolve4(probe).then((a) => a.sort().join(","), () => "");
      if (got === want) return;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error(`dnsmasq did not pick up the new records for ${probe}`);
  }

  /** Replaces all records; TXT records live in the conf file, so the server restarts on the same port. */
  async restart(records: DnsRecords): Promise<void> {
    await this.stop();
    this.write(records);
    await this.spawn();
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  /** Stops the server and removes its files. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(records: DnsRecords): void {
    this.writeHosts(records.hosts ?? {});
    const lines = ["local=/test/", "local-ttl=0", "no-negcache"];
    for (const [name, values] of Object.entries(records.txt ?? {})) {
      for (const v of values) {
        if (v.includes("\n")) throw new Error("a TXT record for the test server cannot contain a newline");
        lines.push(`txt-record=${name},"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
      }
    }
    writeFileSync(this.confFile, lines.join("\n") + "\n");
  }

  private writeHosts(hosts: Record<string, string[]>): void {
    const lines: string[] = [];
    for (const [name, addrs] of Object.entries(hosts)) {
      for (const a of addrs) {
        assertLoopback(a);
        lines.push(`${a} ${name}`);
      }
    }
    writeFileSync(this.hostsFile, lines.join("\n") + "\n");
  }

  private async spawn(): Promise<void> {
    this.stderr = "";
    const child = spawn(
      this.binary,
      [
        "--keep-in-foreground",
        `--port=${this.port}`,
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        `--addn-hosts=${this.hostsFile}`,
        `--conf-file=${this.confFile}`,
        "--pid-file=",
        "--user=root",
        "--log-facility=-",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.child = child;
    const r = new Resolver({ timeout: 100, tries: 1 });
    r.setServers([this.server]);
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) break;
      const answered = await r.resolve4("ready.probe.test").then(
        () => true,
        (e: NodeJS.ErrnoException) => e.code === "ENOTFOUND" || e.code === "ENODATA",
      );
      if (answered) return;
      await new Promise((res) => setTimeout(res, 20));
    }
    await this.stop();
    throw new Error(`dnsmasq did not start on port ${this.port}: ${this.stderr}`);
  }
}
