/**
 * Call credentials: metadata added to each call, such as an OAuth bearer token, as
 * grpc-go's credentials.PerRPCCredentials. They run once the call has its connection,
 * so each sees that connection's security level; one that requires transport security
 * (the default) is refused on a connection below "privacy", so a token is not sent in
 * clear text by accident.
 */
import { Metadata } from "../metadata/metadata.js";
import { Code } from "../status/code.js";
import { GrpcError, codeName } from "../status/grpc-error.js";
import type { AuthInfo, SecurityLevel } from "./auth-info.js";

/** What a call credential knows of the call it is asked to authorize. */
export interface CallCredentialsContext {
  /**
   * "<scheme>://authority/package.Service", as grpc-go's service URL: https on a TLS
   * channel, http otherwise.
   */
  readonly serviceUrl: string;
  /** The method's name, e.g. "SayHello". */
  readonly methodName: string;
  readonly authority: string;
  /** The security level of the connection the call goes out on (grpc-go's RequestInfo.AuthInfo). */
  readonly securityLevel: SecurityLevel;
  /** What the connection's handshake learned of the server, when it learned anything. */
  readonly authInfo?: AuthInfo;
}

export interface CallCredentials {
  /**
   * Whether the metadata may only go out on a connection whose security level is
   * "privacy" (TLS, or local credentials on a unix socket), as grpc-go's
   * RequireTransportSecurity. Default true. A credential that sets false (a request id,
   * a routing hint) flows on any connection.
   */
  readonly requiresTransportSecurity?: boolean;
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

/**
 * Combines call credentials: each one's metadata is added, in order. The combination
 * requires transport security when any part does.
 */
export function combineCallCredentials(...credentials: CallCredentials[]): CallCredentials {
  return {
    requiresTransportSecurity: credentials.some((c) => c.requiresTransportSecurity !== false),
    async getMetadata(context) {
      const out = new Metadata();
      for (const c of credentials) out.merge(await c.getMetadata(context));
      return out;
    },
  };
}

/**
 * Codes a credential may not end a call with (gRFC A54): they would tell the
 * application something about its own request that is not true.
 */
const restrictedCodes = new Set<Code>([
  Code.INVALID_ARGUMENT,
  Code.NOT_FOUND,
  Code.ALREADY_EXISTS,
  Code.FAILED_PRECONDITION,
  Code.ABORTED,
  Code.OUT_OF_RANGE,
  Code.DATA_LOSS,
]);

/**
 * The status a call ends with when its credentials failed: a GrpcError's own status,
 * INTERNAL in place of a code gRFC A54 restricts, UNAUTHENTICATED for anything else.
 */
export function callCredentialsError(e: unknown): GrpcError {
  if (!GrpcError.is(e)) return GrpcError.from(e, Code.UNAUTHENTICATED);
  if (!restrictedCodes.has(e.code)) return e;
  return new GrpcError(Code.INTERNAL, `call credentials failed with ${codeName(e.code)}, which credentials may not return: ${e.message}`);
}
