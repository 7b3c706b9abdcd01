/**
 * One POST of a form to a token endpoint (RFC 6749 §4.4, RFC 8693 §2) and its JSON
 * answer read into an AccessToken, over node:http or node:https by the URL's scheme.
 * The answer is bounded in size and time, and every failure is a status:
 *
 * - unreachable, no answer within the timeout, 5xx or 429: UNAVAILABLE (may pass);
 * - any other status that is not 2xx (400 invalid_grant, 401 invalid_client, …):
 *   UNAUTHENTICATED, with the OAuth `error` and `error_description` when the body has them;
 * - a 2xx that is not a JSON object with an `access_token`: UNAUTHENTICATED.
 *
 * Messages name the endpoint (without query or user info) and never carry a secret or token.
 */
import http from "node:http";
import https from "node:https";
import { Code, GrpcError } from "@grpckit/core";
import type { AccessToken } from "./access-token.js";

/** How to reach a token endpoint. */
export interface TokenEndpointOptions {
  /** Trusted CA certificates (PEM) for an https: endpoint; default: Node's roots. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** How long a request may take, answer included; default 10 s. */
  readonly timeoutMs?: number;
}

export const defaultTokenRequestTimeoutMs = 10_000;
/** A token response is a small JSON object; a body past this is refused unread. */
export const maxTokenResponseBytes = 1024 * 1024;

/** A token endpoint, checked once when the credentials are made. */
export interface TokenEndpoint {
  readonly url: URL;
  /** How messages name it, e.g. "the token endpoint https://auth.example.com/token". */
  readonly description: string;
  readonly ca: TokenEndpointOptions["ca"];
  readonly timeoutMs: number;
}

/** Checks `url` (an option named `option`) and the request options; throws a TypeError naming what is wrong. */
export function tokenEndpoint(url: string, option: string, kind: string, options: TokenEndpointOptions): TokenEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${option} must be an http: or https: URL, not ${JSON.stringify(String(url))}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError(`${option} must be an http: or https: URL, not a ${parsed.protocol} one`);
  }
  const timeoutMs = options.timeoutMs ?? defaultTokenRequestTimeoutMs;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be a number of milliseconds > 0, not ${String(timeoutMs)}`);
  return { url: parsed, description: `${kind} ${parsed.origin}${parsed.pathname}`, ca: options.ca, timeoutMs };
}

/** Posts `form` to `endpoint` and reads the token it answers with; `startedAt` is when the token's lifetime starts counting. */
export function requestToken(endpoint: TokenEndpoint, form: URLSearchParams, headers: Record<string, string>, startedAt: number): Promise<AccessToken> {
  const where = endpoint.description;
  const body = form.toString();
  return new Promise<AccessToken>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => AccessToken) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        resolve(outcome());
      } catch (e) {
        reject(e);
      }
    };
    const fail = (code: Code, message: string) =>
      settle(() => {
        throw new GrpcError(code, message);
      });
    const transport = endpoint.url.protocol === "https:" ? https : http;
    const request = transport.request(endpoint.url, {
      method: "POST",
      // One connection per refresh, closed after it: refreshes are rare and nothing is left open.
      agent: false,
      ...(endpoint.url.protocol === "https:" && endpoint.ca !== undefined && { ca: endpoint.ca as string | Buffer | (string | Buffer)[] }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        "content-length": String(Buffer.byteLength(body)),
        ...headers,
      },
    });
    const timer = setTimeout(() => {
      fail(Code.UNAVAILABLE, `${where} did not answer within ${endpoint.timeoutMs} ms`);
      request.destroy();
    }, endpoint.timeoutMs);
    request.on("error", (e) => fail(Code.UNAVAILABLE, `${where} could not be reached: ${e.message}`));
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      const refuseOversized = () => {
        response.destroy();
        request.destroy();
        if (isSuccess(status)) fail(Code.UNAUTHENTICATED, `${where} answered ${status} with more than ${maxTokenResponseBytes} bytes; a token response is a small JSON object, so it was refused`);
        else fail(statusCode(status), `${where} answered ${status} (a body over ${maxTokenResponseBytes} bytes, not read)`);
      };
      if (Number(response.headers["content-length"]) > maxTokenResponseBytes) return refuseOversized();
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxTokenResponseBytes) return refuseOversized();
        chunks.push(chunk);
      });
      response.on("end", () => settle(() => readAnswer(where, status, response.headers["content-type"], Buffer.concat(chunks), startedAt)));
      response.on("error", (e) => fail(Code.UNAVAILABLE, `${where} broke off its answer: ${e.message}`));
    });
    request.end(body);
  });
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** What an HTTP status that is not a success means for the call: try again later, or the credentials are refused. */
function statusCode(status: number): Code {
  return status >= 500 || status === 429 ? Code.UNAVAILABLE : Code.UNAUTHENTICATED;
}

function readAnswer(where: string, status: number, contentType: string | undefined, body: Buffer, startedAt: number): AccessToken {
  if (!isSuccess(status)) throw new GrpcError(statusCode(status), `${where} answered ${status}${oauthError(body)}`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    json = undefined;
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new GrpcError(Code.UNAUTHENTICATED, `${where} answered ${status} with a body that is not a JSON object (${body.length} bytes of ${contentType ?? "no content-type"})`);
  }
  const fields = json as Record<string, unknown>;
  const accessToken = fields["access_token"];
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new GrpcError(Code.UNAUTHENTICATED, `${where} answered ${status} without an access_token`);
  }
  const tokenType = fields["token_type"];
  if (tokenType !== undefined && typeof tokenType !== "string") {
    throw new GrpcError(Code.UNAUTHENTICATED, `${where} answered ${status} with a token_type that is not a string`);
  }
  const expiresIn = fields["expires_in"];
  // Some endpoints send expires_in as a string of digits.
  const seconds = typeof expiresIn === "string" && /^\d+$/.test(expiresIn) ? Number(expiresIn) : expiresIn;
  if (seconds !== undefined && (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0)) {
    throw new GrpcError(Code.UNAUTHENTICATED, `${where} answered ${status} with an expires_in that is not a number of seconds`);
  }
  return { accessToken, tokenType, expiresAt: seconds === undefined ? undefined : startedAt + seconds * 1000 };
}

/** ": error (error_description)" from an OAuth error body (RFC 6749 §5.2), or "" when it has none. */
function oauthError(body: Buffer): string {
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
  } catch {
    return "";
  }
  if (fields === null || typeof fields !== "object") return "";
  const error = printable(fields["error"]);
  if (error === undefined) return "";
  const description = printable(fields["error_description"]);
  return description === undefined ? `: ${error}` : `: ${error} (${description})`;
}

/** A short printable form of a string field, or undefined when it is not a non-empty string. */
function printable(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
  return text === "" ? undefined : text;
}
