/**
 * The observability example over real loopback HTTP/2: the attempt log reports every
 * attempt of a retried call and the connection, and the binary log file holds every
 * entry of both sides, read back with the grpc.binarylog.v1 schema.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { run } from "../src/run.js";

const dir = mkdtempSync(join(tmpdir(), "grpckit-observability-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("reports each attempt and the connection, and binary-logs both sides of every call", async () => {
  const lines: string[] = [];
  await run(join(dir, "binary.log"), (line) => lines.push(line));
  const check = "/grpc.health.v1.Health/Check";

  expect(lines).toContain('check "": status 1');
  expect(lines.filter((l) => l.startsWith(`${check} attempt`)).map((l) => l.replace(/ in [\d.]+ ms/, ""))).toEqual([
    `${check} attempt 0: OK, 0 bytes sent, 2 received`,
    `${check} attempt 0: NOT_FOUND, 14 bytes sent, 0 received`,
    `${check} attempt 1: NOT_FOUND, 14 bytes sent, 0 received`,
    `${check} attempt 2: NOT_FOUND, 14 bytes sent, 0 received`,
  ]);
  expect(lines).toContain(`${check}: OK after 1 attempt(s)`);
  expect(lines).toContain(`${check}: NOT_FOUND after 3 attempt(s)`);
  // One connection, seen from both ends: the client's local address is the server's peer, and both ended.
  const client = lines.filter((l) => l.startsWith("client connection"));
  const server = lines.filter((l) => l.startsWith("server connection"));
  expect(client.map((l) => l.replace(/\d+/g, "N"))).toEqual(["client connection N.N.N.N:N -> N.N.N.N:N: begin", "client connection N.N.N.N:N -> N.N.N.N:N: end"]);
  expect(server).toHaveLength(2);
  const [clientLocal, clientPeer] = /connection (\S+) -> (\S+):/.exec(client[0])!.slice(1);
  expect(server).toEqual([`server connection ${clientPeer} -> ${clientLocal}: begin`, `server connection ${clientPeer} -> ${clientLocal}: end`]);

  const entries = lines.filter((l) => l.startsWith("call "));
  // 1 + 3 calls logged by the client, the same 4 by the server.
  const calls = new Set(entries.map((l) => l.split(" ")[1]));
  expect(calls.size).toBe(8);
  const kinds = (logger: string) => entries.filter((l) => l.split(" ")[3] === logger).map((l) => l.split(" ")[4]);
  const ok = ["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_HEADER", "SERVER_MESSAGE", "SERVER_TRAILER"];
  const notFound = ["CLIENT_HEADER", "CLIENT_MESSAGE", "CLIENT_HALF_CLOSE", "SERVER_TRAILER"];
  expect(kinds("CLIENT").sort()).toEqual([...ok, ...notFound, ...notFound, ...notFound].sort());
  expect(kinds("SERVER").sort()).toEqual([...ok, ...notFound, ...notFound, ...notFound].sort());
  expect(entries.filter((l) => l.includes('status 5 (unknown service "demo.Unknown")'))).toHaveLength(6);
});
