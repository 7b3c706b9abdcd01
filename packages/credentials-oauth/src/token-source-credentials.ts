/**
 * Call credentials from any token source: `authorization: <type> <token>` on every
 * call, the token cached and refreshed before it expires, one refresh shared by every
 * call waiting for it.
 */
import type { CallCredentials } from "@grpckit/core";
import { authorizationMetadata, type TokenSource } from "./access-token.js";
import { TokenCache, type TokenCacheOptions } from "./token-cache.js";

/** How long before expiry a token is refreshed unless a source says otherwise: 10 s, as golang.org/x/oauth2. */
export const defaultRefreshBeforeExpiryMs = 10_000;

/**
 * Call credentials that send the tokens `source` returns. They require transport
 * security: a channel sends them only over TLS or local credentials on a unix socket.
 *
 * @example
 * const callCredentials = tokenSourceCredentials(async () => {
 *   const { token, expiresInSeconds } = await identity.fetchToken();
 *   return { accessToken: token, expiresAt: Date.now() + expiresInSeconds * 1000 };
 * });
 */
export function tokenSourceCredentials(source: TokenSource, options: TokenCacheOptions = {}): CallCredentials {
  return cachedSourceCredentials(source, "the token source", options.refreshBeforeExpiryMs ?? defaultRefreshBeforeExpiryMs, options);
}

/** Call credentials over one TokenCache of `source`; `name` says where tokens come from in log lines. */
export function cachedSourceCredentials(source: TokenSource, name: string, refreshBeforeExpiryMs: number, options: TokenCacheOptions): CallCredentials {
  const cache = new TokenCache(source, name, { now: options.now, refreshBeforeExpiryMs });
  return {
    requiresTransportSecurity: true,
    async getMetadata() {
      return authorizationMetadata(await cache.get());
    },
  };
}
