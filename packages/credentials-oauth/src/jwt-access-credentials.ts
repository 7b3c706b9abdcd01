/**
 * JWT access credentials, as grpc-go's oauth.NewJWTAccessFromKey: a token the client
 * signs itself (RS256) with a service account key, for the audience of the service
 * called. No token endpoint, no network.
 */
import { sign } from "node:crypto";
import type { CallCredentials } from "@grpckit/core";
import { authorizationMetadata, type AccessToken } from "./access-token.js";
import { parseServiceAccountKey, type ServiceAccountKey, type ServiceAccountSigner } from "./service-account-key.js";
import { TokenCache, type TokenCacheOptions } from "./token-cache.js";
import { defaultRefreshBeforeExpiryMs } from "./token-source-credentials.js";

/** A signed JWT is valid for an hour from its `iat`, as golang.org/x/oauth2/google signs them. */
export const jwtLifetimeSeconds = 3600;

/**
 * Call credentials with a self-signed JWT per service: header
 * `{ alg: "RS256", typ: "JWT", kid: private_key_id }`, claims `iss` and `sub` the
 * account's email, `aud` the call's service URL (`https://<authority>/<package.Service>`,
 * https on any connection and without a port of 443, as grpc-go makes it),
 * `iat` now and `exp` an hour later. Each audience's token is cached and signed again
 * 10 s before it expires (`refreshBeforeExpiryMs`). Throws a TypeError naming the field
 * when the key is not a usable service account key.
 *
 * @example
 * const callCredentials = jwtAccessCredentials(readFileSync("service-account.json", "utf8"));
 */
export function jwtAccessCredentials(serviceAccountKey: ServiceAccountKey | string, options: TokenCacheOptions = {}): CallCredentials {
  const signer = parseServiceAccountKey(serviceAccountKey);
  const now = options.now ?? Date.now;
  const refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? defaultRefreshBeforeExpiryMs;
  // One cache per audience: a channel calls a few services, each with its own token.
  const caches = new Map<string, TokenCache>();
  return {
    requiresTransportSecurity: true,
    async getMetadata(context) {
      const audience = jwtAudience(context.serviceUrl, context.authority);
      let cache = caches.get(audience);
      if (cache === undefined) {
        cache = new TokenCache(async () => signJwt(signer, audience, now()), `the JWT signer for ${audience}`, { now, refreshBeforeExpiryMs });
        caches.set(audience, cache);
      }
      return authorizationMetadata(await cache.get());
    },
  };
}

/** grpc-go's audience: "https://" + the authority without ":443" + "/" + the service, whatever the channel's scheme. */
function jwtAudience(serviceUrl: string, authority: string): string {
  const service = serviceUrl.slice(serviceUrl.indexOf("/", serviceUrl.indexOf("//") + 2) + 1);
  const host = authority.endsWith(":443") ? authority.slice(0, -4) : authority;
  return `https://${host}/${service}`;
}

function signJwt(signer: ServiceAccountSigner, audience: string, nowMs: number): AccessToken {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + jwtLifetimeSeconds;
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: signer.keyId }));
  const claims = base64url(JSON.stringify({ iss: signer.email, sub: signer.email, aud: audience, iat, exp }));
  const signature = sign("sha256", Buffer.from(`${header}.${claims}`), signer.privateKey).toString("base64url");
  return { accessToken: `${header}.${claims}.${signature}`, tokenType: "Bearer", expiresAt: exp * 1000 };
}

function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}
