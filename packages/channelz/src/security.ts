/**
 * A connection's AuthInfo as channelz's Security message: Tls for TLS connections
 * (cipher suite and certificates), OtherSecurity naming any other secure credential,
 * nothing for a plaintext connection.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AuthInfo } from "@grpckit/core";
import type { SecuritySchema } from "./gen/grpc/channelz/v1/channelz_pb.js";

export type SecurityInit = MessageInitShape<typeof SecuritySchema>;

/**
 * The Security for `authInfo`; undefined when the connection is insecure. A TLS
 * AuthInfo (type "tls") gives its cipher's standard name (else its OpenSSL name as
 * other_name) and the DER certificates it carries (`peerCertificate.raw`, and
 * `localCertificate.raw` when present).
 */
export function securityMessage(authInfo: AuthInfo | undefined): SecurityInit | undefined {
  if (authInfo === undefined || authInfo.type === "insecure") return undefined;
  if (authInfo.type !== "tls") return { model: { case: "other", value: { name: authInfo.type } } };
  const cipher = record(authInfo["cipher"]);
  const standardName = text(cipher?.["standardName"]);
  const otherName = text(cipher?.["name"]);
  return {
    model: {
      case: "tls",
      value: {
        cipherSuite:
          standardName !== undefined
            ? { case: "standardName", value: standardName }
            : otherName !== undefined
              ? { case: "otherName", value: otherName }
              : { case: undefined },
        localCertificate: der(authInfo["localCertificate"]),
        remoteCertificate: der(authInfo["peerCertificate"]),
      },
    },
  };
}

/** A short human description of a connection's security, for the web page. */
export function securitySummary(authInfo: AuthInfo | undefined): string {
  if (authInfo === undefined) return "";
  if (authInfo.type !== "tls") return authInfo.type;
  const cipher = record(authInfo["cipher"]);
  const name = text(cipher?.["standardName"]) ?? text(cipher?.["name"]);
  const protocol = text(authInfo["protocol"]);
  return ["tls", protocol, name].filter((s) => s !== undefined).join(" ");
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function der(certificate: unknown): Uint8Array {
  const raw = record(certificate)?.["raw"];
  return raw instanceof Uint8Array ? raw : new Uint8Array(0);
}
