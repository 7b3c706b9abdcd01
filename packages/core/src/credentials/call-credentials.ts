/**
 * Call credentials: metadata added to each call, such as an OAuth bearer token, as
 * grpc-go's credentials.PerRPCCredentials. They are refused on insecure connections
 * unless the channel allows it, so a token is not sent in clear text by accident.
 */
import { Metadata } from "../metadata/metadata.js";

/** What a call credential knows of the call it is asked to authorize. */
export interface CallCredentialsContext {
  /** "https://authority/package.Service", as grpc-go's service URL. */
  readonly serviceUrl: string;
  /** The method's name, e.g. "SayHello". */
  readonly methodName: string;
  readonly authority: string;
}

export interface CallCredentials {
  /**
   * The metadata to add to one call. A GrpcError thrown here ends the call with that
   * status; anything else ends it with UNAUTHENTICATED.
   */
  getMetadata(context: CallCredentialsContext): Metadata | Promise<Metadata>;
}

/**
 * Sends `authorization: Bearer <token>` on every call. `token` may be a function,
 * called for each call, to return a fresh token.
 *
 * @example
 * createChannel(target, { transport, credentials: tls, callCredentials: bearerToken(() => auth.token()) });
 */
export function bearerToken(token: string | ((context: CallCredentialsContext) => string | Promise<string>)): CallCredentials {
  return {
    async getMetadata(context) {
      const value = typeof token === "string" ? token : await token(context);
      return new Metadata({ authorization: `Bearer ${value}` });
    },
  };
}

/** Combines call credentials: each one's metadata is added, in order. */
export function combineCallCredentials(...credentials: CallCredentials[]): CallCredentials {
  return {
    async getMetadata(context) {
      const out = new Metadata();
      for (const c of credentials) out.merge(await c.getMetadata(context));
      return out;
    },
  };
}
