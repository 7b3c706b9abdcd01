/**
 * A gRFC A43 policy enforced over real mutual TLS, on both transports: principals by
 * SPIFFE ID, DNS SAN and subject, paths, headers, deny over allow, no match denies, and
 * unauthenticated peers (plaintext, and TLS without a client certificate).
 */
import { describe, expect, it } from "vitest";
import { Code, Metadata, type TransportBuilder } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { createStaticAuthzPolicy, deniedMessage, type AuthzPolicyJson } from "../src/index.js";
import { codeOf, drain, echoClient, failure, messages, pki, serve, useLoopback } from "./support.js";

useLoopback();

const svc = "/grpckit.test.v1.EchoService";

const policy: AuthzPolicyJson = {
  name: "echo-policy",
  deny_rules: [
    { name: "admin-never-chats", source: { principals: ["spiffe://grpckit.test/admin"] }, request: { paths: [`${svc}/Chat`] } },
    { name: "no-debug", request: { headers: [{ key: "X-Debug", values: ["on", "verbose*"] }] } },
  ],
  allow_rules: [
    { name: "frontend", source: { principals: ["spiffe://grpckit.test/frontend"] }, request: { paths: [`${svc}/Echo`, `${svc}/Expand`] } },
    { name: "admin-anything", source: { principals: ["spiffe://grpckit.test/adm*"] }, request: { paths: [`${svc}/*`] } },
    { name: "batch-by-dns", source: { principals: ["*.internal"] }, request: { paths: [`${svc}/Collect`] } },
    { name: "legacy-by-subject", source: { principals: ["CN=legacy,O=Grpckit Tests"] }, request: { paths: ["*/Echo"] } },
    { name: "tenant-acme", request: { paths: [`${svc}/Echo`], headers: [{ key: "x-tenant", values: ["acme", "*-acme"] }] } },
    { name: "any-certificate-expands", source: { principals: ["*"] }, request: { paths: [`${svc}/Expand`] } },
    { name: "tls-without-certificate-chats", source: { principals: [""] }, request: { paths: [`${svc}/Chat`] } },
  ],
};

const transports: [string, () => TransportBuilder][] = [
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
];

describe.each(transports)("an authorization policy over mutual TLS on %s", (_name, makeTransport) => {
  const transport = makeTransport();
  const start = () => serve(transport, [createStaticAuthzPolicy(policy).tap]);

  it("allows a SPIFFE ID its rule names on the rule's paths, and denies it elsewhere with PERMISSION_DENIED before the handler runs", async () => {
    const { port, log } = await start();
    const frontend = echoClient(transport, port, pki.frontend);
    expect((await frontend.echo({ message: "hi" })).message).toBe("hi");
    expect(await drain(frontend.expand({ message: "x", repeat: 2 }))).toHaveLength(2);
    expect(log.contexts).toHaveLength(2);

    const denied = await failure(frontend.collect(messages({ message: "a" })));
    expect(denied).toMatchObject({ code: Code.PERMISSION_DENIED, rawMessage: deniedMessage });
    expect(log.contexts).toHaveLength(2);
  });

  it("matches a principal by DNS SAN and by subject when the certificate has no URI SAN", async () => {
    const { port, log } = await start();
    const batch = echoClient(transport, port, pki.batch);
    expect((await batch.collect(messages({ message: "a" }, { message: "b" }))).message).toBe("a,b");
    expect(await codeOf(batch.echo({ message: "no" }))).toBe(Code.PERMISSION_DENIED);

    const legacy = echoClient(transport, port, pki.legacy);
    expect((await legacy.echo({ message: "old" })).message).toBe("old");
    expect(await codeOf(legacy.collect(messages({ message: "a" })))).toBe(Code.PERMISSION_DENIED);
    expect(log.contexts).toHaveLength(2);
  });

  it("lets a deny rule win over an allow rule that also matches", async () => {
    const { port, log } = await start();
    const admin = echoClient(transport, port, pki.admin);
    expect((await admin.collect(messages({ message: "ok" }))).message).toBe("ok");
    const chat = await failure(drain(admin.chat(messages({ message: "hello" }))));
    expect(chat).toMatchObject({ code: Code.PERMISSION_DENIED, rawMessage: deniedMessage });
    expect(log.contexts).toHaveLength(1);
  });

  it("denies by header value (exact and prefix) whatever the principal, and allows by header when a rule asks only for it", async () => {
    const { port, log } = await start();
    const frontend = echoClient(transport, port, pki.frontend);
    expect(await codeOf(frontend.echo({ message: "a" }, { metadata: new Metadata({ "x-debug": "on" }) }))).toBe(Code.PERMISSION_DENIED);
    expect(await codeOf(frontend.echo({ message: "b" }, { metadata: new Metadata({ "x-debug": "verbose-3" }) }))).toBe(Code.PERMISSION_DENIED);
    expect(await codeOf(frontend.echo({ message: "c" }, { metadata: new Metadata({ "x-debug": "off" }) }))).toBe(0);
    expect(log.contexts).toHaveLength(1);

    // No client certificate: only the header rule can let it in.
    const anonymous = echoClient(transport, port, undefined);
    expect(await codeOf(anonymous.echo({ message: "d" }, { metadata: new Metadata({ "x-tenant": "acme" }) }))).toBe(0);
    expect(await codeOf(anonymous.echo({ message: "e" }, { metadata: new Metadata({ "x-tenant": "eu-acme" }) }))).toBe(0);
    expect(await codeOf(anonymous.echo({ message: "f" }, { metadata: new Metadata({ "x-tenant": "globex" }) }))).toBe(Code.PERMISSION_DENIED);
    expect(await codeOf(anonymous.echo({ message: "g" }))).toBe(Code.PERMISSION_DENIED);
    expect(log.contexts).toHaveLength(3);
  });

  it('treats "*" as any peer with a verified certificate, and "" as a TLS peer without one; a plaintext peer matches no principal', async () => {
    const { port, log } = await start();
    expect(await drain(echoClient(transport, port, pki.batch).expand({ message: "x", repeat: 1 }))).toHaveLength(1);
    const anonymous = echoClient(transport, port, undefined);
    expect(await codeOf(drain(anonymous.expand({ message: "x", repeat: 1 })))).toBe(Code.PERMISSION_DENIED);
    expect(await drain(anonymous.chat(messages({ message: "tls, no certificate" })))).toHaveLength(1);
    expect(await codeOf(drain(echoClient(transport, port, pki.frontend).chat(messages({ message: "certificate" }))))).toBe(Code.PERMISSION_DENIED);
    expect(log.contexts).toHaveLength(2);

    const plain = await serve(transport, [createStaticAuthzPolicy(policy).tap], { plaintext: true });
    const plaintext = echoClient(transport, plain.port, "plaintext");
    expect(await codeOf(drain(plaintext.expand({ message: "x", repeat: 1 })))).toBe(Code.PERMISSION_DENIED);
    expect(await codeOf(drain(plaintext.chat(messages({ message: "x" }))))).toBe(Code.PERMISSION_DENIED);
    expect(await codeOf(plaintext.echo({ message: "x" }, { metadata: new Metadata({ "x-tenant": "acme" }) }))).toBe(0);
    expect(plain.log.contexts).toHaveLength(1);
  });

  it("denies every call no allow rule matches", async () => {
    const onlyEcho = createStaticAuthzPolicy({ name: "only-echo", allow_rules: [{ name: "echo", request: { paths: [`${svc}/Echo`] } }] });
    const { port, log } = await serve(transport, [onlyEcho.tap]);
    const client = echoClient(transport, port, pki.frontend);
    expect(await codeOf(client.echo({ message: "ok" }))).toBe(0);
    for (const call of [drain(client.expand({ message: "x", repeat: 1 })), client.collect(messages({ message: "a" })), drain(client.chat(messages()))]) {
      expect(await codeOf(call)).toBe(Code.PERMISSION_DENIED);
    }
    expect(log.contexts).toHaveLength(1);
  });
});
