/**
 * The PEM-file certificate provider over real loopback TLS: certificate files rewritten
 * on disk are served to new connections within a second; a half-written pair or a file
 * that does not parse keeps the pair in force and says why through core's logger; a CA
 * file rewritten changes which client certificates the server accepts.
 */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, getLogger, setLogger, type Logger } from "@grpckit/core";
import {
  createPemFileCertificateProvider,
  tlsChannelCredentials,
  tlsServerCredentials,
  type PemFileCertificateProvider,
  type TlsAuthInfo,
} from "../src/index.js";
import { connectRaw, echoClient, emptyLog, failure, open, pki, serve, useLoopback } from "./loopback.js";

useLoopback();

let dir: string;
let providers: PemFileCertificateProvider[] = [];
let errors: string[] = [];
let previousLogger: Logger;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "grpckit-pem-files-"));
  previousLogger = getLogger();
  setLogger({ error: (m) => errors.push(m), info: () => {}, debug: () => {} });
});
afterAll(() => {
  setLogger(previousLogger);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const p of providers.splice(0)) p.close();
  errors = [];
});

let fileCount = 0;
/** Paths for a fresh set of files in the test directory. */
function paths() {
  const n = fileCount++;
  return { certFile: join(dir, `${n}.crt`), keyFile: join(dir, `${n}.key`), caFile: join(dir, `${n}-ca.crt`) };
}

function watch(options: Parameters<typeof createPemFileCertificateProvider>[0]): PemFileCertificateProvider {
  const provider = createPemFileCertificateProvider(options);
  providers.push(provider);
  return provider;
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

/** The fingerprint of the certificate the server at `port` presents to a new connection. */
async function servedFingerprint(port: number): Promise<string | undefined> {
  const socket = await connectRaw(port);
  const hs = await tlsChannelCredentials({ ca: pki.ca }).clientHandshake(socket, `127.0.0.1:${port}`);
  open.closers.unshift(() => hs.socket.destroy());
  return (hs.authInfo as TlsAuthInfo).peerCertificate?.fingerprint256;
}

describe("PEM-file certificate provider", () => {
  it("certificate files rewritten on disk are served to new connections within a second", async () => {
    const files = paths();
    writeFileSync(files.certFile, pki.server.cert);
    writeFileSync(files.keyFile, pki.server.key);
    const provider = watch({ certFile: files.certFile, keyFile: files.keyFile, refreshIntervalMs: 100 });
    const port = await serve(tlsServerCredentials({ provider }), emptyLog());
    const first = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca }));
    await first.echo({ message: "before" });
    expect(await servedFingerprint(port)).toBe(fingerprint(pki.server.cert));

    writeFileSync(files.keyFile, pki.serverRotated.key);
    writeFileSync(files.certFile, pki.serverRotated.cert);
    const rewrittenAt = Date.now();
    let served = await servedFingerprint(port);
    // Bounded: new connections every 50 ms for at most a second.
    while (served !== fingerprint(pki.serverRotated.cert) && Date.now() - rewrittenAt < 1000) {
      await new Promise((r) => setTimeout(r, 50));
      served = await servedFingerprint(port);
    }
    console.log(`rotated certificate served ${Date.now() - rewrittenAt} ms after the files were rewritten`);
    expect(served).toBe(fingerprint(pki.serverRotated.cert));
    expect(provider.lastError).toBeUndefined();

    expect((await first.echo({ message: "still open" })).message).toBe("still open");
    const second = echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca }));
    expect((await second.echo({ message: "after" })).message).toBe("after");
  });

  it("a half-written pair or a file that does not parse keeps the pair in force and says why", async () => {
    const files = paths();
    writeFileSync(files.certFile, pki.server.cert);
    writeFileSync(files.keyFile, pki.server.key);
    // A long interval: the test reads the files itself with reload(), so nothing races it.
    const provider = watch({ certFile: files.certFile, keyFile: files.keyFile, refreshIntervalMs: 60_000 });
    const port = await serve(tlsServerCredentials({ provider }), emptyLog());

    // The new certificate has arrived; its key has not yet.
    writeFileSync(files.certFile, pki.serverRotated.cert);
    await provider.reload();
    expect(await servedFingerprint(port)).toBe(fingerprint(pki.server.cert));
    expect(provider.lastError?.message).toContain(`the key in ${files.keyFile} does not match the certificate in ${files.certFile}`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("keeping the certificate in force");
    expect(errors[0]).toContain("does not match");

    // Read again with nothing changed: the same reason is not logged again.
    await provider.reload();
    expect(errors).toHaveLength(1);

    // A certificate file cut short.
    writeFileSync(files.certFile, pki.serverRotated.cert.slice(0, 200));
    writeFileSync(files.keyFile, pki.serverRotated.key);
    await provider.reload();
    expect(await servedFingerprint(port)).toBe(fingerprint(pki.server.cert));
    expect(provider.lastError?.message).toContain(`${files.certFile} holds no PEM certificate that parses`);
    expect(errors).toHaveLength(2);

    // Both files written: the new pair is taken.
    writeFileSync(files.certFile, pki.serverRotated.cert);
    await provider.reload();
    expect(provider.lastError).toBeUndefined();
    expect(await servedFingerprint(port)).toBe(fingerprint(pki.serverRotated.cert));
    expect((await echoClient(`127.0.0.1:${port}`, tlsChannelCredentials({ ca: pki.ca })).echo({ message: "ok" })).message).toBe("ok");
  });

  it("a CA file rewritten changes which client certificates the server accepts", async () => {
    const files = paths();
    writeFileSync(files.certFile, pki.server.cert);
    writeFileSync(files.keyFile, pki.server.key);
    writeFileSync(files.caFile, pki.otherCa);
    const provider = watch({ ...files, refreshIntervalMs: 60_000 });
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ provider, clientCertificate: "require" }), log);
    const clientCredentials = tlsChannelCredentials({ ca: pki.ca, ...pki.client });

    const refused = await failure(echoClient(`127.0.0.1:${port}`, clientCredentials).echo({ message: "untrusted" }));
    expect(refused.code).toBe(Code.UNAVAILABLE);

    writeFileSync(files.caFile, pki.ca);
    await provider.reload();
    expect(provider.lastError).toBeUndefined();
    expect((await echoClient(`127.0.0.1:${port}`, clientCredentials).echo({ message: "trusted" })).message).toBe("trusted");
    expect((log.contexts[0].peer.authInfo as TlsAuthInfo).peerCertificate?.subject.CN).toBe("client");
  });

  it("a rotated client certificate from files is presented on the next connection", async () => {
    const files = paths();
    writeFileSync(files.certFile, pki.client.cert);
    writeFileSync(files.keyFile, pki.client.key);
    writeFileSync(files.caFile, pki.ca);
    const provider = watch({ ...files, refreshIntervalMs: 60_000 });
    const log = emptyLog();
    const port = await serve(tlsServerCredentials({ ...pki.server, clientCertificate: "require", ca: pki.ca }), log);
    const credentials = tlsChannelCredentials({ provider });
    await echoClient(`127.0.0.1:${port}`, credentials).echo({ message: "one" });
    writeFileSync(files.certFile, pki.alpha.cert);
    writeFileSync(files.keyFile, pki.alpha.key);
    await provider.reload();
    await echoClient(`127.0.0.1:${port}`, credentials).echo({ message: "two" });
    expect(log.contexts.map((c) => (c.peer.authInfo as TlsAuthInfo).peerCertificate?.subject.CN)).toEqual(["client", "alpha"]);
  });

  it("a first load that fails is an error that names the file and the reason", () => {
    const files = paths();
    expect(() => createPemFileCertificateProvider({ certFile: files.certFile, keyFile: files.keyFile })).toThrow(
      `cannot read the certificate file ${files.certFile}`,
    );
    writeFileSync(files.certFile, pki.server.cert);
    writeFileSync(files.keyFile, pki.client.key);
    expect(() => createPemFileCertificateProvider({ certFile: files.certFile, keyFile: files.keyFile })).toThrow(
      `the key in ${files.keyFile} does not match the certificate in ${files.certFile}`,
    );
    writeFileSync(files.keyFile, pki.server.key);
    writeFileSync(files.caFile, "not a certificate");
    expect(() => createPemFileCertificateProvider(files)).toThrow(`${files.caFile} holds no PEM certificate that parses`);
    expect(() => createPemFileCertificateProvider({ ...files, caFile: undefined, refreshIntervalMs: 0 })).toThrow("refreshIntervalMs must be a positive number");
  });

  it("close() stops reading the files", async () => {
    const files = paths();
    writeFileSync(files.certFile, pki.server.cert);
    writeFileSync(files.keyFile, pki.server.key);
    const provider = watch({ certFile: files.certFile, keyFile: files.keyFile, refreshIntervalMs: 20 });
    provider.close();
    writeFileSync(files.certFile, pki.serverRotated.cert);
    writeFileSync(files.keyFile, pki.serverRotated.key);
    // Ten intervals: a timer still running would have taken the new pair.
    await new Promise((r) => setTimeout(r, 200));
    expect(provider.version).toBe(0);
    expect(fingerprint(provider.current.cert as string)).toBe(fingerprint(pki.server.cert));
  });
});
