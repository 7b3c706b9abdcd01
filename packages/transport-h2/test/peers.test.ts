/**
 * transport-h2 against HTTP/2 implementations that share no code with it: node:http2
 * as client and as server, curl and nghttp (both on libnghttp2), and @grpc/grpc-js in
 * both roles, each speaking gRPC over 127.0.0.1 to or from grpckit's EchoService.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { createChannel, createClient, createServer, type Channel, type Client, type Server } from "@grpckit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { h2Transport } from "../src/index.js";
import {
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
  type EchoRequest,
  type EchoResponse,
} from "../../core/test/gen/grpckit/test/v1/echo_pb.js";
import { echoImpl } from "../../core/test/support/echo-service.js";

const echoPath = `/${EchoService.typeName}/Echo`;
const expandPath = `/${EchoService.typeName}/Expand`;
const MiB = 1024 * 1024;

/** A gRPC length-prefixed message: flag 0 (not compressed), 4-byte big-endian length, the bytes. */
function envelope(message: Uint8Array): Buffer {
  const b = Buffer.alloc(5 + message.byteLength);
  b.writeUInt32BE(message.byteLength, 1);
  b.set(message, 5);
  return b;
}

/** The messages of a gRPC body; throws on a compressed or truncated one. */
function messagesOf(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 5) throw new Error(`truncated envelope header at byte ${at}`);
    if (body[at] !== 0) throw new Error(`compressed flag ${body[at]} at byte ${at}`);
    const length = body.readUInt32BE(at + 1);
    if (body.length - at - 5 < length) throw new Error(`envelope of ${length} bytes at byte ${at} is truncated`);
    out.push(body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return out;
}

function echoRequest(init: MessageInitShape<typeof EchoRequestSchema>): Buffer {
  return envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, init)));
}

function echoResponses(body: Buffer): EchoResponse[] {
  return messagesOf(body).map((m) => fromBinary(EchoResponseSchema, m));
}

/** Bytes that differ from their neighbours, so a lost, repeated or reordered chunk shows. */
function pattern(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = i % 251;
  return b;
}

function sameBytes(got: Uint8Array | undefined, want: Uint8Array): boolean {
  return got !== undefined && got.byteLength === want.byteLength && Buffer.compare(got, want) === 0;
}

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command line tool to its end (killed after 10 s). */
async function runTool(command: string, args: string[]): Promise<ToolRun> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The grpc-js view of EchoService: every method carries EchoRequest in and EchoResponse out. */
const grpcJsEchoDefinition: grpc.ServiceDefinition = Object.fromEntries(
  EchoService.methods.map((m) => [
    m.localName,
    {
      path: `/${EchoService.typeName}/${m.name}`,
      requestStream: m.methodKind === "client_streaming" || m.methodKind === "bidi_streaming",
      responseStream: m.methodKind === "server_streaming" || m.methodKind === "bidi_streaming",
      requestSerialize: (msg: EchoRequest) => Buffer.from(toBinary(EchoRequestSchema, msg)),
      requestDeserialize: (b: Buffer) => fromBinary(EchoRequestSchema, b),
      responseSerialize: (msg: EchoResponse) => Buffer.from(toBinary(EchoResponseSchema, msg)),
      responseDeserialize: (b: Buffer) => fromBinary(EchoResponseSchema, b),
    },
  ]),
);

interface GrpcJsEchoClient extends grpc.Client {
  echo(
    request: EchoRequest,
    metadata: grpc.Metadata,
    callback: (err: grpc.ServiceError | null, response?: EchoResponse) => void,
  ): grpc.ClientUnaryCall;
  chat(): grpc.ClientDuplexStream<EchoRequest, EchoResponse>;
}

const GrpcJsEchoClient = grpc.makeGenericClientConstructor(grpcJsEchoDefinition, "EchoService") as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => GrpcJsEchoClient;

/** Sends the requests one at a time, each after the response to the one before it arrived. */
async function pingPong(
  chat: (requests: AsyncIterable<MessageInitShape<typeof EchoRequestSchema>>) => AsyncIterable<EchoResponse>,
  messages: string[],
): Promise<EchoResponse[]> {
  const received: EchoResponse[] = [];
  let answered: () => void = () => {};
  async function* requests() {
    for (const message of messages) {
      const next = new Promise<void>((resolve) => (answered = resolve));
      yield { message };
      await next;
    }
  }
  for await (const response of chat(requests())) {
    received.push(response);
    answered();
  }
  return received;
}

describe("a grpckit server on transport-h2, called by independent clients", () => {
  let server: Server;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    server = createServer({ transport: h2Transport() });
    server.addService(EchoService, echoImpl());
    port = (await server.listen("127.0.0.1:0")).port!;
    dir = mkdtempSync(join(tmpdir(), "grpckit-h2-peers-"));
  });

  afterAll(() => {
    server?.forceShutdown();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  describe("node:http2 client", () => {
    let session: http2.ClientHttp2Session;

    beforeAll(async () => {
      session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", () => {});
      await once(session, "connect");
    });

    afterAll(() => session?.destroy());

    function post(body: Buffer): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders | undefined; body: Buffer }> {
      return new Promise((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": echoPath, "content-type": "application/grpc", te: "trailers" });
        let headers: http2.IncomingHttpHeaders = {};
        let trailers: http2.IncomingHttpHeaders | undefined;
        const chunks: Buffer[] = [];
        req.on("response", (h) => (headers = h));
        req.on("trailers", (t) => (trailers = t));
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("error", reject);
        req.on("close", () =>
          req.rstCode === http2.constants.NGHTTP2_NO_ERROR
            ? resolve({ headers, trailers, body: Buffer.concat(chunks) })
            : reject(new Error(`stream reset with code ${req.rstCode}`)),
        );
        req.end(body);
      });
    }

    it("gets a unary answer: :status 200, content-type application/grpc, the echoed message, grpc-status 0 in trailers", async () => {
      const r = await post(echoRequest({ message: "from node:http2" }));
      expect(r.headers[":status"]).toBe(200);
      expect(r.headers["content-type"]).toBe("application/grpc");
      expect(echoResponses(r.body).map((m) => m.message)).toEqual(["from node:http2"]);
      expect(r.trailers?.["grpc-status"]).toBe("0");
      expect(r.trailers?.["x-trailer"]).toBe("done");
    });

    it("sends a 2 MiB request and receives its 2 MiB echo intact", async () => {
      const payload = pattern(2 * MiB);
      const r = await post(echoRequest({ message: "big", payload }));
      expect(r.trailers?.["grpc-status"]).toBe("0");
      const [response] = echoResponses(r.body);
      expect(response.message).toBe("big");
      expect(response.payload.byteLength).toBe(payload.byteLength);
      expect(sameBytes(response.payload, payload)).toBe(true);
    });
  });

  describe("curl --http2-prior-knowledge", () => {
    it("posts a gRPC request and gets HTTP/2 200, the echoed message and grpc-status 0, exiting 0", async () => {
      const requestFile = join(dir, "curl-request.bin");
      const bodyFile = join(dir, "curl-body.bin");
      const headersFile = join(dir, "curl-headers.txt");
      writeFileSync(requestFile, echoRequest({ message: "from curl" }));
      const result = await runTool("curl", [
        "-sS",
        "--http2-prior-knowledge",
        "--data-binary",
        `@${requestFile}`,
        "-H",
        "content-type: application/grpc",
        "-H",
        "te: trailers",
        "--output",
        bodyFile,
        "-D",
        headersFile,
        `http://127.0.0.1:${port}${echoPath}`,
      ]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const dump = readFileSync(headersFile, "utf8");
      expect(dump).toMatch(/^HTTP\/2 200 ?\r\n/);
      expect(dump).toMatch(/^content-type: application\/grpc\r$/m);
      // curl writes the trailers into the dump after the headers' blank line.
      expect(dump).toMatch(/\r\n\r\n[\s\S]*^grpc-status: 0\r$/m);
      expect(echoResponses(readFileSync(bodyFile)).map((m) => m.message)).toEqual(["from curl"]);
    });
  });

  describe("nghttp -v", () => {
    async function nghttpPost(message: string): Promise<ToolRun> {
      const requestFile = join(dir, `nghttp-${message.replace(/\W/g, "_")}.bin`);
      writeFileSync(requestFile, echoRequest({ message }));
      return runTool("nghttp", [
        "-v",
        "-n",
        "-d",
        requestFile,
        "-H",
        "content-type: application/grpc",
        "-H",
        "te: trailers",
        `http://127.0.0.1:${port}${echoPath}`,
      ]);
    }

    function expectNoErrors(output: string): void {
      expect(output).not.toMatch(/recv GOAWAY/);
      expect(output).not.toMatch(/RST_STREAM/);
      expect(output).not.toMatch(/\[ERROR\]|error_code=(?!NO_ERROR)/);
    }

    it("posts a gRPC request (after its PRIORITY frames on idle streams) and shows :status 200, a DATA frame and grpc-status 0", async () => {
      const message = "from nghttp";
      const result = await nghttpPost(message);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const out = result.stdout;
      expect(out).toMatch(/send PRIORITY frame <length=5, flags=0x00, stream_id=3>/);
      expect(out).toMatch(/recv \(stream_id=\d+\) :status: 200\n/);
      expect(out).toMatch(/recv \(stream_id=\d+\) content-type: application\/grpc\n/);
      // The echo encodes as the request does (field 1, the same string), so its body is as long.
      const dataBytes = [...out.matchAll(/recv DATA frame <length=(\d+), flags=0x0\d, stream_id=\d+>/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(dataBytes).toBe(echoRequest({ message }).length);
      expect(out).toMatch(/recv \(stream_id=\d+\) grpc-status: 0\n/);
      expect(out).toMatch(/recv HEADERS frame <length=\d+, flags=0x05, stream_id=\d+>\n\s+; END_STREAM \| END_HEADERS/);
      expectNoErrors(out);
    });

    it("accepts the server's SETTINGS (the protocol's 64 KiB windows, which the BDP estimator grows; a 64 KiB header list), and gets its own SETTINGS ACKed", async () => {
      const result = await nghttpPost("settings");
      expect(result.code).toBe(0);
      const out = result.stdout;
      const first = /recv SETTINGS frame <length=\d+, flags=0x00, stream_id=0>\n((?:[ \t]+[^\n]*\n)*)/.exec(out);
      expect(first, "the server's SETTINGS").not.toBeNull();
      expect(first![1]).toContain("[SETTINGS_MAX_HEADER_LIST_SIZE(0x06):65536]");
      expect(first![1], "no INITIAL_WINDOW_SIZE: streams start at 65,535").not.toContain("SETTINGS_INITIAL_WINDOW_SIZE");
      // Whether nghttp ACKs ours depends on its timing: a fast answer lets it finish and
      // close first. The server's ACK of nghttp's SETTINGS is the server's behaviour.
      expect(out).toMatch(/recv SETTINGS frame <length=0, flags=0x01, stream_id=0>\n\s+; ACK/);
      expectNoErrors(out);
    });
  });

  describe("@grpc/grpc-js client", () => {
    let client: GrpcJsEchoClient;

    beforeAll(() => {
      client = new GrpcJsEchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    afterAll(() => client?.close());

    it("makes a unary call and sees the echoed message, its x-echo header back and the x-trailer trailer", async () => {
      const metadata = new grpc.Metadata();
      metadata.set("x-echo", "grpc-js");
      let header: grpc.Metadata | undefined;
      let status: grpc.StatusObject | undefined;
      const response = await new Promise<EchoResponse | undefined>((resolve, reject) => {
        const call = client.echo(create(EchoRequestSchema, { message: "from grpc-js" }), metadata, (err, res) =>
          err === null ? resolve(res) : reject(err),
        );
        call.on("metadata", (md) => (header = md));
        call.on("status", (s) => (status = s));
      });
      expect(response?.message).toBe("from grpc-js");
      expect(header?.get("x-echo")).toEqual(["grpc-js"]);
      await expect.poll(() => status?.code).toBe(grpc.status.OK);
      expect(status?.metadata.get("x-trailer")).toEqual(["done"]);
    });

    it("runs a bidi stream in ping-pong, each request answered before the next is sent", async () => {
      const call = client.chat();
      const received: EchoResponse[] = [];
      const messages = ["one", "two", "three"];
      const ended = new Promise<grpc.StatusObject>((resolve, reject) => {
        call.on("status", resolve);
        call.on("error", reject);
      });
      call.on("data", (r: EchoResponse) => {
        received.push(r);
        if (received.length < messages.length) call.write(create(EchoRequestSchema, { message: messages[received.length] }));
        else call.end();
      });
      call.write(create(EchoRequestSchema, { message: messages[0] }));
      expect((await ended).code).toBe(grpc.status.OK);
      expect(received.map((r) => [r.message, r.index])).toEqual([
        ["one", 0],
        ["two", 1],
        ["three", 2],
      ]);
    });
  });
});

describe("a grpckit channel on transport-h2, calling independent servers", () => {
  describe("a hand-written gRPC responder on node:http2", () => {
    let server: http2.Http2Server;
    let channel: Channel;
    let client: Client<typeof EchoService>;
    const seen: http2.IncomingHttpHeaders[] = [];
    const sessions = new Set<http2.ServerHttp2Session>();

    /** Echo answers with the request's message and payload; Expand with `repeat` messages indexed from 0. */
    function respond(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer): void {
      const [requestBytes] = messagesOf(body);
      const request = fromBinary(EchoRequestSchema, requestBytes ?? new Uint8Array(0));
      let responses: MessageInitShape<typeof EchoResponseSchema>[];
      if (headers[":path"] === echoPath) responses = [{ message: request.message, payload: request.payload }];
      else if (headers[":path"] === expandPath) responses = Array.from({ length: request.repeat }, (_, index) => ({ message: request.message, index }));
      else {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12" }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      for (const r of responses) stream.write(envelope(toBinary(EchoResponseSchema, create(EchoResponseSchema, r))));
      stream.end();
    }

    beforeAll(async () => {
      server = http2.createServer();
      server.on("session", (session) => {
        sessions.add(session);
        session.on("close", () => sessions.delete(session));
      });
      server.on("stream", (stream, headers) => {
        seen.push(headers);
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => respond(stream, headers, Buffer.concat(chunks)));
        stream.on("error", () => {});
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const { port } = server.address() as { port: number };
      channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
      client = createClient(EchoService, channel);
    });

    afterAll(async () => {
      channel?.close();
      if (server !== undefined) {
        const closed = once(server, "close");
        server.close();
        for (const session of sessions) session.destroy();
        await closed;
      }
    });

    it("makes a unary call that node:http2 accepts as gRPC: POST, :scheme http, content-type application/grpc, te trailers", async () => {
      seen.length = 0;
      const response = await client.echo({ message: "to node:http2" });
      expect(response.message).toBe("to node:http2");
      expect(seen).toHaveLength(1);
      expect(seen[0][":method"]).toBe("POST");
      expect(seen[0][":scheme"]).toBe("http");
      expect(seen[0][":path"]).toBe(echoPath);
      expect(seen[0]["content-type"]).toMatch(/^application\/grpc/);
      expect(seen[0].te).toBe("trailers");
    });

    it("receives a server-streaming response of several messages in order", async () => {
      const got: [string, number][] = [];
      for await (const r of client.expand({ message: "tick", repeat: 5 })) got.push([r.message, r.index]);
      expect(got).toEqual([0, 1, 2, 3, 4].map((i) => ["tick", i]));
    });

    it("sends a 3 MiB request and receives its 3 MiB echo intact through both sides' flow-control windows", async () => {
      const payload = pattern(3 * MiB);
      const response = await client.echo({ message: "large", payload });
      expect(response.payload.byteLength).toBe(payload.byteLength);
      expect(sameBytes(response.payload, payload)).toBe(true);
    });
  });

  describe("an @grpc/grpc-js server", () => {
    let server: grpc.Server;
    let channel: Channel;
    let client: Client<typeof EchoService>;

    beforeAll(async () => {
      server = new grpc.Server();
      server.addService(grpcJsEchoDefinition, {
        echo(call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) {
          const trailer = new grpc.Metadata();
          trailer.set("x-trailer", "grpc-js");
          callback(null, create(EchoResponseSchema, { message: call.request.message, payload: call.request.payload }), trailer);
        },
        expand(call: grpc.ServerWritableStream<EchoRequest, EchoResponse>) {
          for (let i = 0; i < call.request.repeat; i++) call.write(create(EchoResponseSchema, { message: call.request.message, index: i }));
          call.end();
        },
        collect(call: grpc.ServerReadableStream<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) {
          const parts: string[] = [];
          call.on("data", (r: EchoRequest) => parts.push(r.message));
          call.on("end", () => callback(null, create(EchoResponseSchema, { message: parts.join(","), index: parts.length })));
        },
        chat(call: grpc.ServerDuplexStream<EchoRequest, EchoResponse>) {
          let index = 0;
          call.on("data", (r: EchoRequest) => call.write(create(EchoResponseSchema, { message: r.message, index: index++ })));
          call.on("end", () => call.end());
        },
      });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err === null ? resolve(p) : reject(err))),
      );
      channel = createChannel(`127.0.0.1:${port}`, { transport: h2Transport() });
      client = createClient(EchoService, channel);
    });

    afterAll(() => {
      channel?.close();
      server?.forceShutdown();
    });

    it("makes a unary call and reads the grpc-js server's trailer", async () => {
      let trailer: string | Uint8Array | undefined;
      const response = await client.echo({ message: "to grpc-js" }, { onTrailer: (md) => (trailer = md.get("x-trailer")) });
      expect(response.message).toBe("to grpc-js");
      expect(trailer).toBe("grpc-js");
    });

    it("runs a bidi stream in ping-pong, each request answered before the next is sent", async () => {
      const received = await pingPong((requests) => client.chat(requests), ["one", "two", "three"]);
      expect(received.map((r) => [r.message, r.index])).toEqual([
        ["one", 0],
        ["two", 1],
        ["three", 2],
      ]);
    });
  });
});
