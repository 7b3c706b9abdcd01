/**
 * STS token exchange (RFC 8693), with the options of grpc-go's credentials/sts: a
 * subject token read from a file (a Kubernetes service account token, say) traded at a
 * security token service for an access token.
 */
import { open } from "node:fs/promises";
import { Code, GrpcError, type CallCredentials } from "@grpckit/core";
import type { TokenCacheOptions } from "./token-cache.js";
import { requestToken, tokenEndpoint, type TokenEndpointOptions } from "./token-endpoint.js";
import { cachedSourceCredentials } from "./token-source-credentials.js";

/** A token from the STS is refreshed once it has less than 5 minutes left, as grpc-go's sts (its minimum cached lifetime). */
export const stsRefreshBeforeExpiryMs = 5 * 60_000;

/** RFC 8693's grant type. */
const tokenExchangeGrantType = "urn:ietf:params:oauth:grant-type:token-exchange";

/** A subject or actor token file is a token, not a document: larger ones are refused unread. */
const maxTokenFileBytes = 64 * 1024;

export interface StsCredentialsOptions extends TokenEndpointOptions, TokenCacheOptions {
  /** The security token service, e.g. "https://sts.example.com/v1/token". */
  readonly tokenExchangeServiceUri: string;
  /** `resource`: the service the token is for, as a URI. */
  readonly resource?: string;
  /** `audience`: the logical name of the service the token is for. */
  readonly audience?: string;
  /** `scope`, space-separated as it is sent. */
  readonly scope?: string;
  /** `requested_token_type`, e.g. "urn:ietf:params:oauth:token-type:access_token". */
  readonly requestedTokenType?: string;
  /** The file holding the subject token; read again at every refresh, so a rotated file is picked up. */
  readonly subjectTokenPath: string;
  /** `subject_token_type`, e.g. "urn:ietf:params:oauth:token-type:jwt". */
  readonly subjectTokenType: string;
  /** The file holding the actor token, when there is one. */
  readonly actorTokenPath?: string;
  /** `actor_token_type`; required with `actorTokenPath`. */
  readonly actorTokenType?: string;
}

/**
 * Call credentials with access tokens from a security token service. At each refresh
 * the subject (and actor) token is read from its file and POSTed, form-encoded, with
 * `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` and the parameters set.
 * The token is refreshed 5 minutes before it expires (`refreshBeforeExpiryMs`). Throws
 * a TypeError naming the option that is missing or wrong.
 *
 * @example
 * const callCredentials = stsCredentials({
 *   tokenExchangeServiceUri: "https://sts.example.com/v1/token",
 *   audience: "ledger",
 *   subjectTokenPath: "/var/run/secrets/tokens/identity",
 *   subjectTokenType: "urn:ietf:params:oauth:token-type:jwt",
 * });
 */
export function stsCredentials(options: StsCredentialsOptions): CallCredentials {
  const endpoint = tokenEndpoint(options.tokenExchangeServiceUri, "tokenExchangeServiceUri", "the token exchange service", options);
  for (const name of ["subjectTokenPath", "subjectTokenType"] as const) {
    if (typeof options[name] !== "string" || options[name] === "") throw new TypeError(`stsCredentials needs ${name}, a non-empty string`);
  }
  if (options.actorTokenPath !== undefined && (typeof options.actorTokenType !== "string" || options.actorTokenType === "")) {
    throw new TypeError("stsCredentials needs actorTokenType with actorTokenPath");
  }
  const now = options.now ?? Date.now;
  const fetchToken = async () => {
    const startedAt = now();
    const form = new URLSearchParams({ grant_type: tokenExchangeGrantType });
    if (options.resource !== undefined) form.set("resource", options.resource);
    if (options.audience !== undefined) form.set("audience", options.audience);
    if (options.scope !== undefined) form.set("scope", options.scope);
    if (options.requestedTokenType !== undefined) form.set("requested_token_type", options.requestedTokenType);
    form.set("subject_token", await readTokenFile(options.subjectTokenPath, "subject"));
    form.set("subject_token_type", options.subjectTokenType);
    if (options.actorTokenPath !== undefined) {
      form.set("actor_token", await readTokenFile(options.actorTokenPath, "actor"));
      form.set("actor_token_type", options.actorTokenType!);
    }
    return requestToken(endpoint, form, {}, startedAt);
  };
  return cachedSourceCredentials(fetchToken, endpoint.description, options.refreshBeforeExpiryMs ?? stsRefreshBeforeExpiryMs, options);
}

/** The token in `path`, without surrounding whitespace; UNAUTHENTICATED saying why when it cannot be read. */
async function readTokenFile(path: string, role: "subject" | "actor"): Promise<string> {
  let text: string;
  try {
    const file = await open(path, "r");
    try {
      // Read one byte past the bound, to know a file is too large without reading all of it.
      const buffer = Buffer.alloc(maxTokenFileBytes + 1);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      if (bytesRead > maxTokenFileBytes) throw new Error(`it is larger than ${maxTokenFileBytes} bytes, too large for a token`);
      text = buffer.toString("utf8", 0, bytesRead).trim();
    } finally {
      await file.close();
    }
  } catch (e) {
    throw new GrpcError(Code.UNAUTHENTICATED, `could not read the ${role} token file ${path}: ${(e as Error).message}`);
  }
  if (text === "") throw new GrpcError(Code.UNAUTHENTICATED, `the ${role} token file ${path} is empty`);
  return text;
}
