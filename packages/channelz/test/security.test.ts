/** A connection's AuthInfo as a channelz Security message. */
import { describe, expect, it } from "vitest";
import { securityMessage } from "../src/security.js";

describe("securityMessage", () => {
  it("has no Security for a plaintext connection", () => {
    expect(securityMessage({ type: "insecure", securityLevel: "none" })).toBeUndefined();
    expect(securityMessage(undefined)).toBeUndefined();
  });

  it("describes a TLS connection with the cipher's standard name and the peer's DER certificate", () => {
    const raw = new Uint8Array([0x30, 0x82, 0x01, 0x0a]);
    const security = securityMessage({
      type: "tls",
      securityLevel: "privacy",
      protocol: "TLSv1.3",
      cipher: { name: "TLS_AES_128_GCM_SHA256", standardName: "TLS_AES_128_GCM_SHA256", version: "TLSv1.3" },
      peerCertificate: { raw, subject: { CN: "server" } },
    });
    expect(security).toEqual({
      model: {
        case: "tls",
        value: {
          cipherSuite: { case: "standardName", value: "TLS_AES_128_GCM_SHA256" },
          localCertificate: new Uint8Array(0),
          remoteCertificate: raw,
        },
      },
    });
  });

  it("falls back to the OpenSSL cipher name as other_name when no standard name is known", () => {
    const security = securityMessage({ type: "tls", securityLevel: "privacy", cipher: { name: "ECDHE-RSA-AES128-GCM-SHA256" } });
    expect(security?.model).toMatchObject({ case: "tls", value: { cipherSuite: { case: "otherName", value: "ECDHE-RSA-AES128-GCM-SHA256" } } });
  });

  it("names any other credential type as OtherSecurity", () => {
    expect(securityMessage({ type: "alts", securityLevel: "privacy" })).toEqual({ model: { case: "other", value: { name: "alts" } } });
  });
});
