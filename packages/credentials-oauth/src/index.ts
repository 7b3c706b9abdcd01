/**
 * @grpckit/credentials-oauth: token sources for @grpckit/core call credentials. OAuth2
 * client credentials, self-signed JWT access tokens from a service account key, and STS
 * token exchange (RFC 8693), each cached and refreshed before it expires, with one
 * refresh shared by every call that waits for it.
 */
export type { AccessToken, TokenSource } from "./access-token.js";
export type { TokenCacheOptions } from "./token-cache.js";
export { tokenSourceCredentials, defaultRefreshBeforeExpiryMs } from "./token-source-credentials.js";
export { defaultTokenRequestTimeoutMs, maxTokenResponseBytes, type TokenEndpointOptions } from "./token-endpoint.js";
export { oauth2ClientCredentials, type OAuth2ClientCredentialsOptions } from "./oauth2-client-credentials.js";
export { jwtAccessCredentials, jwtLifetimeSeconds } from "./jwt-access-credentials.js";
export type { ServiceAccountKey } from "./service-account-key.js";
export { stsCredentials, stsRefreshBeforeExpiryMs, type StsCredentialsOptions } from "./sts-credentials.js";
