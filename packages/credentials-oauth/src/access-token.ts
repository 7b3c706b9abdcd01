import { Code, GrpcError, Metadata } from "@grpckit/core";

/** An access token, what a token source returns and the call credentials send. */
export interface AccessToken {
  /** The token itself, sent as `authorization: <tokenType> <accessToken>`. */
  readonly accessToken: string;
  /** The authorization scheme; "Bearer" when absent (any case of "bearer" is sent as "Bearer"). */
  readonly tokenType?: string;
  /** When the token stops being valid, in milliseconds since the epoch; absent: it never expires. */
  readonly expiresAt?: number;
}

/**
 * Fetches a new access token: from a token endpoint, by signing one, or however the
 * application gets them. Called only when the cached token is missing or due for
 * refresh, and never twice at once for the same cache.
 */
export type TokenSource = () => Promise<AccessToken>;

// A header value may carry visible ASCII only; a token with anything else would break the call's headers.
const headerSafe = /^[\x21-\x7e]+$/;

/** The call's metadata carrying `token`: `authorization: <scheme> <token>`; UNAUTHENTICATED when it cannot be sent. */
export function authorizationMetadata(token: AccessToken): Metadata {
  if (typeof token?.accessToken !== "string" || !headerSafe.test(token.accessToken)) {
    throw new GrpcError(Code.UNAUTHENTICATED, "call credentials: the access token is empty or has characters a header cannot carry (visible ASCII only)");
  }
  return new Metadata({ authorization: `${schemeName(token.tokenType)} ${token.accessToken}` });
}

/** The scheme as servers expect it: "Bearer" for any case of "bearer" (token endpoints often answer "bearer"). */
function schemeName(tokenType: string | undefined): string {
  if (tokenType === undefined || tokenType === "" || tokenType.toLowerCase() === "bearer") return "Bearer";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(tokenType)) throw new GrpcError(Code.UNAUTHENTICATED, `call credentials: the token type ${JSON.stringify(tokenType.slice(0, 40))} is not an HTTP authorization scheme`);
  return tokenType;
}
