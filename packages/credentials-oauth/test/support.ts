/**
 * What the token-source tests run on: a token endpoint on node:http on 127.0.0.1 whose
 * answers each test scripts, a grpckit server on a unix socket in a temporary directory
 * with local credentials (security level "privacy", so tokens flow without
 * certificates), and a clock both sides read.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Code,
  GrpcError,
  createChannel,
  createClient,
  createServer,
  localCredentials,
  type CallCredentials,
  type Channel,
  type HandlerContext,
  type Server,
} from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { afterAll, afterEach } from "vitest";
import { EchoService } from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { BackendService } from "../../health/test/gen/grpckit/health/test/v1/backend_pb.js";

/** A clock the test moves by hand; the credentials and the servers read the same one. */
export interface Clock {
  ms: number;
  readonly now: () => number;
}

export function manualClock(): Clock {
  const clock: Clock = { ms: Date.UTC(2026, 0, 1), now: () => clock.ms };
  return clock;
}

/** One request the token endpoint received. */
export interface TokenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The body as a form (the token requests are form-encoded). */
  readonly form: URLSearchParams;
  readonly contentType: string | undefined;
}

/** How the token endpoint answers a request: a status and a JSON body, or its own handling of the raw response. */
export type TokenAnswer = { status: number; json?: unknown; text?: string } | ((res: http.ServerResponse) => void);

export interface TokenServer {
  readonly url: string;
  readonly requests: TokenRequest[];
  close(): Promise<void>;
}

/** A token endpoint on 127.0.0.1 answering each request with what `answer` returns for it. */
export async function startTokenServer(answer: (request: TokenRequest, index: number) => TokenAnswer | Promise<TokenAnswer>): Promise<TokenServer> {
  const requests: TokenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const request: TokenRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, form: new URLSearchParams(body), contentType: req.headers["content-type"] };
      requests.push(request);
      const a = await answer(request, requests.length - 1);
      if (typeof a === "function") return a(res);
      const text = a.text ?? JSON.stringify(a.json ?? {});
      res.writeHead(a.status, { "content-type": a.text === undefined ? "application/json" : "text/plain" }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  opened.tokenServers.push(server);
  return {
    url: `http://127.0.0.1:${port}/token`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const opened = { tokenServers: [] as http.Server[], servers: [] as Server[], channels: [] as Channel[], dirs: [] as string[] };

/** Closes what each test opened. */
export function useLoopback(): void {
  afterEach(() => {
    for (const c of opened.channels.splice(0)) c.close();
    for (const s of opened.servers.splice(0)) s.forceShutdown();
    for (const s of opened.tokenServers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });
  afterAll(() => {
    for (const d of opened.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "grpckit-oauth-"));
  opened.dirs.push(dir);
  return dir;
}

/** Checks one call's authorization header; throws to refuse the call (UNAUTHENTICATED). Returns the token for the count. */
export type TokenCheck = (authorization: string | undefined, ctx: HandlerContext) => string;

/** A grpckit server on a unix socket with local credentials, running EchoService and BackendService; counts calls per token. */
export async function startGrpcServer(check: TokenCheck): Promise<{ target: string; callsPerToken: Map<string, number> }> {
  const callsPerToken = new Map<string, number>();
  const admit = (ctx: HandlerContext): string => {
    let token: string;
    try {
      token = check(ctx.metadata.get("authorization") as string | undefined, ctx);
    } catch (e) {
      throw new GrpcError(Code.UNAUTHENTICATED, `the server refused the token: ${(e as Error).message}`);
    }
    callsPerToken.set(token, (callsPerToken.get(token) ?? 0) + 1);
    return token;
  };
  const server = createServer({ transport: h2Transport(), credentials: localCredentials() });
  server.addService(EchoService, {
    echo: (_req, ctx) => ({ message: admit(ctx) }),
    // eslint-disable-next-line require-yield
    async *expand() {
      throw new GrpcError(Code.UNIMPLEMENTED, "not used here");
    },
  });
  server.addService(BackendService, {
    who: (_req, ctx) => ({ backend: admit(ctx) }),
  });
  const target = `unix:${join(tempDir(), "grpc.sock")}`;
  await server.listen(target);
  opened.servers.push(server);
  return { target, callsPerToken };
}

/** An Echo client (and a Backend one) on a channel to `target` with local credentials and `callCredentials`. */
export function clients(target: string, callCredentials: CallCredentials) {
  const channel = createChannel(target, { transport: h2Transport(), credentials: localCredentials(), callCredentials });
  opened.channels.push(channel);
  return { channel, echo: createClient(EchoService, channel), backend: createClient(BackendService, channel) };
}

/** A channel with `callCredentials` that is closed after the test, for channels made some other way. */
export function track(channel: Channel): Channel {
  opened.channels.push(channel);
  return channel;
}

/** The bearer token in an authorization header, or an error saying what arrived instead. */
export function bearer(authorization: string | undefined): string {
  const match = /^Bearer (\S+)$/.exec(authorization ?? "");
  if (match === null) throw new Error(`expected "Bearer <token>", got ${JSON.stringify(authorization)}`);
  return match[1]!;
}

/** The status code and message (grpc-message's text) of a call that failed, or "OK" when it did not. */
export async function outcome(call: Promise<unknown>): Promise<{ code: Code | "OK"; message: string }> {
  try {
    await call;
    return { code: "OK", message: "" };
  } catch (e) {
    if (!GrpcError.is(e)) throw e;
    return { code: e.code, message: e.rawMessage };
  }
}
