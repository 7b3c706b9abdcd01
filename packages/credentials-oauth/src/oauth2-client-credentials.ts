/**
 * OAuth2 client credentials (RFC 6749 §4.4): the client's own id and secret traded at
 * a token endpoint for an access token, as golang.org/x/oauth2/clientcredentials.
 */
import type { CallCredentials } from "@grpckit/core";
import type { TokenCacheOptions } from "./token-cache.js";
import { requestToken, tokenEndpoint, type TokenEndpointOptions } from "./token-endpoint.js";
import { cachedSourceCredentials, defaultRefreshBeforeExpiryMs } from "./token-source-credentials.js";

export interface OAuth2ClientCredentialsOptions extends TokenEndpointOptions, TokenCacheOptions {
  /** The token endpoint, e.g. "https://auth.example.com/oauth2/token". */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Sent as `scope`, space-separated. */
  readonly scopes?: readonly string[];
  /** Sent as `audience` (many providers want one). */
  readonly audience?: string;
  /** More form parameters for providers that need them (`resource`, say). */
  readonly extraParams?: Readonly<Record<string, string>>;
  /**
   * How the client authenticates: "basic" (default) with HTTP Basic, as RFC 6749 §2.3.1
   * asks servers to support, or "body" with `client_id` and `client_secret` in the form.
   */
  readonly clientAuthentication?: "basic" | "body";
}

/**
 * Call credentials with tokens from an OAuth2 token endpoint, by the client credentials
 * grant. The token is cached and fetched again 10 s before it expires
 * (`refreshBeforeExpiryMs`); a token without `expires_in` is kept for good.
 *
 * @example
 * const callCredentials = oauth2ClientCredentials({
 *   tokenUrl: "https://auth.example.com/oauth2/token",
 *   clientId: "billing",
 *   clientSecret: process.env.BILLING_CLIENT_SECRET!,
 *   scopes: ["ledger.read"],
 * });
 */
export function oauth2ClientCredentials(options: OAuth2ClientCredentialsOptions): CallCredentials {
  const endpoint = tokenEndpoint(options.tokenUrl, "tokenUrl", "the token endpoint", options);
  for (const name of ["clientId", "clientSecret"] as const) {
    if (typeof options[name] !== "string" || options[name] === "") throw new TypeError(`oauth2ClientCredentials needs ${name}, a non-empty string`);
  }
  const authentication = options.clientAuthentication ?? "basic";
  if (authentication !== "basic" && authentication !== "body") throw new TypeError(`clientAuthentication must be "basic" or "body", not ${JSON.stringify(authentication)}`);
  const now = options.now ?? Date.now;
  const fetchToken = () => {
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (options.scopes !== undefined && options.scopes.length > 0) form.set("scope", options.scopes.join(" "));
    if (options.audience !== undefined) form.set("audience", options.audience);
    for (const [name, value] of Object.entries(options.extraParams ?? {})) form.set(name, value);
    const headers: Record<string, string> = {};
    if (authentication === "basic") {
      // RFC 6749 §2.3.1: each part is form-urlencoded before it goes into the Basic credentials.
      const credentials = `${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`;
      headers["authorization"] = `Basic ${Buffer.from(credentials).toString("base64")}`;
    } else {
      form.set("client_id", options.clientId);
      form.set("client_secret", options.clientSecret);
    }
    return requestToken(endpoint, form, headers, now());
  };
  return cachedSourceCredentials(fetchToken, endpoint.description, options.refreshBeforeExpiryMs ?? defaultRefreshBeforeExpiryMs, options);
}

/** application/x-www-form-urlencoded, as a form value is encoded (space as "+"). */
function formEncode(text: string): string {
  return new URLSearchParams([["", text]]).toString().slice(1);
}
