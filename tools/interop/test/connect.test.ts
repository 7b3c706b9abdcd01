/**
 * The Connect protocol served by a grpckit server, to @connectrpc/connect-node's own
 * clients: its Connect transport over HTTP/1.1 and HTTP/2, binary and JSON, every
 * method kind, errors with details, deadlines, metadata both ways, gzip both ways, GET
 * for a method without side effects, and the receive limit; its gRPC-Web and gRPC
 * transports on the same address as a cross-check; and raw requests for what a client
 * library never sends (malformed bodies and headers, a body past the limit).
 */
import http from "node:http";
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code as ConnectCode, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Code, GrpcError, createServer, type Server, type ServiceImpl, type StatsHandler, type TransportBuilder } from "@grpckit/core";
import { ErrorInfoSchema } from "@grpckit/core/error-details";
import { h2Transport } from "@grpckit/transport-h2";
import { http2Transport } from "@grpckit/transport-http2";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import { LookupService } from "../src/gen/grpckit/testing/lookup_pb.js";
import { testServiceHandlers, startInteropServer } from "../src/server.js";

const open: { servers: Server[]; sessions: http2.ClientHttp2Session[]; agents: http.Agent[] } = { servers: [], sessions: [], agents: [] };
afterEach(() => {
  for (const s of open.sessions.splice(0)) s.destroy();
  for (const a of open.agents.splice(0)) a.destroy();
  for (const s of open.servers.splice(0)) s.forceShutdown();
});

/** What the Lookup handler saw of its calls, for the tests to read. */
interface Seen {
  deadlineAborts: unknown[];
}

const missingDetail = create(ErrorInfoSchema, { reason: "KEY_NOT_FOUND", domain: "grpckit.test", metadata: { key: "missing" } });

function lookupHandlers(seen: Seen): ServiceImpl<typeof LookupService> {
  return {
    async lookup(request, ctx) {
      if (request.key === "missing") {
        ctx.responseTrailer.set("x-lookup-miss", "1");
        throw new GrpcError(Code.NOT_FOUND, `no value for "missing"`, { details: [anyPack(ErrorInfoSchema, missingDetail)] });
      }
      if (request.key === "slow") {
        // Waits until the server ends the call; its deadline is the only way out.
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        seen.deadlineAborts.push(ctx.signal.reason);
        return {};
      }
      return { key: request.key, value: `value of ${request.key}` };
    },
    store(request) {
      return { key: request.key };
    },
  };
}

interface Served {
  readonly port: number;
  readonly seen: Seen;
}

type ServerExtras = Partial<Pick<Parameters<typeof createServer>[0] & object, "maxReceiveMessageBytes" | "connect" | "interceptors" | "taps" | "statsHandlers">>;

async function serve(makeTransport: () => TransportBuilder, extras: ServerExtras = {}): Promise<Served> {
  const seen: Seen = { deadlineAborts: [] };
  const server = createServer({ transport: makeTransport(), ...extras });
  server.addService(TestService, testServiceHandlers());
  server.addService(LookupService, lookupHandlers(seen));
  open.servers.push(server);
  return { port: (await server.listen("127.0.0.1:0")).port!, seen };
}

/** Connect transports of connect-node, as a test case names them. */
/** The options of connect-node's Connect transport these tests vary. */
interface ConnectExtras {
  sendCompression?: typeof compressionGzip;
  acceptCompression?: (typeof compressionGzip)[];
  compressMinBytes?: number;
  useHttpGet?: boolean;
  interceptors?: Interceptor[];
}

function connectTransport(port: number, httpVersion: "1.1" | "2", binary: boolean, extra: ConnectExtras = {}): Transport {
  return createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion, useBinaryFormat: binary, ...extra });
}

/** `inner`, with the HTTP method of every request it hands the server recorded in `into`. */
function recordingMethods(inner: TransportBuilder, into: string[]): TransportBuilder {
  return {
    name: inner.name,
    connect: (address, options) => inner.connect(address, options),
    listen: (address, options) =>
      inner.listen(address, {
        ...options,
        onStream(stream) {
          into.push(String(stream.headers[":method"]));
          options.onStream(stream);
        },
      }),
  };
}

/** Records the response headers connect-node received, so a test can see how the body came. */
function headerRecorder(into: Headers[]): Interceptor {
  return (next) => async (req) => {
    const res = await next(req);
    into.push(res.header);
    return res;
  };
}

async function* items<T>(values: T[]): AsyncGenerator<T> {
  for (const v of values) yield v;
}

const serverTransports: [string, () => TransportBuilder][] = [
  ["transport-h2", () => h2Transport()],
  ["transport-http2", () => http2Transport()],
];

// transport-http2 answers HTTP/2 only; transport-h2 tells HTTP/1.1 from HTTP/2 on a plain connection.
const cases: [string, () => TransportBuilder, "1.1" | "2", boolean][] = [];
for (const [name, make] of serverTransports) {
  for (const httpVersion of ["1.1", "2"] as const) {
    for (const binary of [true, false]) cases.push([`${name}, HTTP/${httpVersion}, ${binary ? "binary" : "JSON"}`, make, httpVersion, binary]);
  }
}

describe.each(cases)("connect-node's Connect client to grpckit (%s)", (_name, makeTransport, httpVersion, binary) => {
  it("makes a unary call with metadata both ways: headers, trailers and -bin values", async () => {
    const { port } = await serve(makeTransport);
    const client = createClient(TestService, connectTransport(port, httpVersion, binary));
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    const res = await client.unaryCall(
      { responseSize: 5, payload: { body: new Uint8Array([1, 2, 3]) } },
      {
        headers: { "x-grpc-test-echo-initial": "hello", "x-grpc-test-echo-trailing-bin": Buffer.from([0xfe, 0xed, 0x00]).toString("base64") },
        onHeader: (h) => (header = h),
        onTrailer: (t) => (trailer = t),
      },
    );
    expect(Array.from(res.payload?.body ?? [])).toEqual([0, 0, 0, 0, 0]);
    expect(header?.get("x-grpc-test-echo-initial")).toBe("hello");
    expect(Buffer.from(trailer?.get("x-grpc-test-echo-trailing-bin") ?? "", "base64")).toEqual(Buffer.from([0xfe, 0xed, 0x00]));
  });

  it("streams from the server, with its trailing metadata at the end", async () => {
    const { port } = await serve(makeTransport);
    const client = createClient(TestService, connectTransport(port, httpVersion, binary));
    let trailer: Headers | undefined;
    const sizes: number[] = [];
    for await (const r of client.streamingOutputCall(
      { responseParameters: [{ size: 1 }, { size: 2 }, { size: 3 }] },
      { headers: { "x-grpc-test-echo-trailing-bin": Buffer.from("tail").toString("base64") }, onTrailer: (t) => (trailer = t) },
    )) {
      sizes.push(r.payload?.body.length ?? -1);
    }
    expect(sizes).toEqual([1, 2, 3]);
    expect(Buffer.from(trailer?.get("x-grpc-test-echo-trailing-bin") ?? "", "base64").toString()).toBe("tail");
  });

  it("streams from the client", async () => {
    const { port } = await serve(makeTransport);
    const client = createClient(TestService, connectTransport(port, httpVersion, binary));
    const res = await client.streamingInputCall(items([10, 20, 30].map((n) => ({ payload: { body: new Uint8Array(n) } }))));
    expect(res.aggregatedPayloadSize).toBe(60);
  });

  it("reads an error's code, message, details and trailing metadata", async () => {
    const { port } = await serve(makeTransport);
    const client = createClient(LookupService, connectTransport(port, httpVersion, binary));
    const err = await client.lookup({ key: "missing" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    const ce = err as ConnectError;
    expect(ce.code).toBe(ConnectCode.NotFound);
    expect(ce.rawMessage).toBe(`no value for "missing"`);
    const [info] = ce.findDetails(ErrorInfoSchema);
    expect(info?.reason).toBe("KEY_NOT_FOUND");
    expect(info?.metadata).toEqual({ key: "missing" });
    expect(ce.metadata.get("x-lookup-miss")).toBe("1");
  });

  it("ends a call whose timeout passes with deadline_exceeded, and the handler is told", async () => {
    const { port, seen } = await serve(makeTransport);
    const client = createClient(LookupService, connectTransport(port, httpVersion, binary));
    const err = await client.lookup({ key: "slow" }, { timeoutMs: 150 }).catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(ConnectCode.DeadlineExceeded);
    // The client gives up at the same moment: the handler hears the server's deadline or the client's cancel.
    await expect.poll(() => seen.deadlineAborts.length).toBe(1);
  });

  it("compresses with gzip both ways, unary and streaming", async () => {
    const { port } = await serve(makeTransport);
    const headers: Headers[] = [];
    const transport = connectTransport(port, httpVersion, binary, {
      sendCompression: compressionGzip,
      acceptCompression: [compressionGzip],
      // Every message is compressed, however small.
      compressMinBytes: 0,
      interceptors: [headerRecorder(headers)],
    });
    const client = createClient(TestService, transport);
    // The handler fails the call unless the request arrived compressed.
    const res = await client.unaryCall({ expectCompressed: { value: true }, responseCompressed: { value: true }, responseSize: 2000, payload: { body: new Uint8Array(2000) } });
    expect(res.payload?.body.length).toBe(2000);
    expect(headers[0].get("content-encoding")).toBe("gzip");
    const sizes: number[] = [];
    for await (const r of client.streamingOutputCall({ responseParameters: [{ size: 3000, compressed: { value: true } }] })) sizes.push(r.payload?.body.length ?? -1);
    expect(sizes).toEqual([3000]);
    expect(headers[1].get("connect-content-encoding")).toBe("gzip");
    const total = await client.streamingInputCall(items([{ expectCompressed: { value: true }, payload: { body: new Uint8Array(4000) } }]));
    expect(total.aggregatedPayloadSize).toBe(4000);
  });

  it("calls a NO_SIDE_EFFECTS method with GET, and the others with POST", async () => {
    const methods: string[] = [];
    const { port } = await serve(() => recordingMethods(makeTransport(), methods));
    const client = createClient(LookupService, connectTransport(port, httpVersion, binary, { useHttpGet: true }));
    expect(await client.lookup({ key: "k?&=+/ ü" })).toMatchObject({ key: "k?&=+/ ü", value: "value of k?&=+/ ü" });
    expect(await client.store({ key: "k" })).toMatchObject({ key: "k" });
    expect(methods).toEqual(["GET", "POST"]);
  });

  it("refuses a request message over the server's limit with resource_exhausted, and serves the next call", async () => {
    const { port } = await serve(makeTransport, { maxReceiveMessageBytes: 64 * 1024 });
    const client = createClient(TestService, connectTransport(port, httpVersion, binary));
    const big = { payload: { body: new Uint8Array(100 * 1024) } };
    const unary = await client.unaryCall(big).catch((e: unknown) => e);
    expect((unary as ConnectError).code).toBe(ConnectCode.ResourceExhausted);
    expect((unary as ConnectError).rawMessage).toMatch(/larger than max/);
    const streamed = await client.streamingInputCall(items([big])).catch((e: unknown) => e);
    expect((streamed as ConnectError).code).toBe(ConnectCode.ResourceExhausted);
    expect((await client.unaryCall({ responseSize: 1 })).payload?.body.length).toBe(1);
  });
});

describe.each(serverTransports)("connect-node's Connect client over HTTP/2 to grpckit on %s", (_name, makeTransport) => {
  it("streams both ways", async () => {
    const { port } = await serve(makeTransport);
    const client = createClient(TestService, connectTransport(port, "2", true));
    const sizes: number[] = [];
    for await (const r of client.fullDuplexCall(items([1, 2, 3].map((n) => ({ responseParameters: [{ size: n }] }))))) sizes.push(r.payload?.body.length ?? -1);
    expect(sizes).toEqual([1, 2, 3]);
  });

  it("gets a streaming call's error in the end-of-stream message, after the messages before it", async () => {
    const { port } = await serve(makeTransport);
    const client = createClient(TestService, connectTransport(port, "2", false));
    const got: number[] = [];
    const err = await (async () => {
      for await (const r of client.fullDuplexCall(items([{ responseParameters: [{ size: 4 }] }, { responseStatus: { code: Code.ABORTED, message: "stop here" } }]))) {
        got.push(r.payload?.body.length ?? -1);
      }
    })().catch((e: unknown) => e);
    expect(got).toEqual([4]);
    expect((err as ConnectError).code).toBe(ConnectCode.Aborted);
    expect((err as ConnectError).rawMessage).toBe("stop here");
  });

  it("answers connect-node's gRPC and gRPC-Web transports on the same address", async () => {
    const { port } = await serve(makeTransport);
    const baseUrl = `http://127.0.0.1:${port}`;
    for (const transport of [createGrpcTransport({ baseUrl }), createGrpcWebTransport({ baseUrl, httpVersion: "2" })]) {
      const client = createClient(TestService, transport);
      expect((await client.unaryCall({ responseSize: 7 })).payload?.body.length).toBe(7);
      const sizes: number[] = [];
      for await (const r of client.streamingOutputCall({ responseParameters: [{ size: 1 }, { size: 2 }] })) sizes.push(r.payload?.body.length ?? -1);
      expect(sizes).toEqual([1, 2]);
      const err = await createClient(LookupService, transport).lookup({ key: "missing" }).catch((e: unknown) => e);
      expect((err as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe("KEY_NOT_FOUND");
    }
  });
});

describe("a Connect call as the server's hooks see it", () => {
  it("reaches taps, interceptors and stats handlers as a gRPC call of the same method", async () => {
    const tapped: string[] = [];
    const intercepted: string[] = [];
    const stats: string[] = [];
    const statsHandler: StatsHandler<string> = {
      tagCall: (info) => info.method,
      handleCall(method, event) {
        if (event.type === "inHeader") stats.push(`inHeader ${method} ${event.metadata.get("x-who") as string}`);
        if (event.type === "inPayload" || event.type === "outPayload") stats.push(event.type);
        if (event.type === "end") stats.push(`end ${event.code}`);
      },
    };
    const { port } = await serve(() => h2Transport(), {
      taps: [(info) => void tapped.push(`${info.path} ${info.metadata.get("x-who") as string}`)],
      interceptors: [
        (next) => async (req) => {
          intercepted.push(`${req.method.name} ${req.context.metadata.get("x-who") as string} ${req.context.timeRemaining() <= 60_000}`);
          return next(req);
        },
      ],
      statsHandlers: [statsHandler],
    });
    const client = createClient(LookupService, connectTransport(port, "1.1", false));
    await client.lookup({ key: "a" }, { headers: { "x-who": "browser" }, timeoutMs: 60_000 });
    expect(tapped).toEqual(["/grpckit.testing.LookupService/Lookup browser"]);
    expect(intercepted).toEqual(["Lookup browser true"]);
    await expect.poll(() => stats).toEqual(["inHeader /grpckit.testing.LookupService/Lookup browser", "inPayload", "outPayload", `end ${Code.OK}`]);
  });
});

describe("tools/interop's server", () => {
  it("serves Connect", async () => {
    const server = await startInteropServer({ transport: h2Transport() });
    try {
      const client = createClient(TestService, connectTransport(server.port, "1.1", true));
      expect((await client.unaryCall({ responseSize: 3 })).payload?.body.length).toBe(3);
    } finally {
      await server.close();
    }
  });
});

/** One HTTP response as a raw client read it. */
interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Sends one request over HTTP/2 with node:http2, the body in `pieces`. */
function h2Request(port: number, headers: http2.OutgoingHttpHeaders, pieces: Uint8Array[] = []): Promise<RawResponse> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  open.sessions.push(session);
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => (head = h));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status: Number(head[":status"]), headers: head, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

/** Sends one request over HTTP/1.1 with node:http. */
function h1Request(port: number, method: string, path: string, headers: http.OutgoingHttpHeaders, body?: Uint8Array): Promise<RawResponse> {
  const agent = new http.Agent();
  open.agents.push(agent);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const unaryPath = "/grpc.testing.TestService/UnaryCall";
const lookupPath = "/grpckit.testing.LookupService/Lookup";

describe.each(serverTransports)("hostile or malformed Connect requests to grpckit on %s", (_name, makeTransport) => {
  function post(port: number, contentType: string, body: string | Uint8Array, extra: http2.OutgoingHttpHeaders = {}, path = unaryPath): Promise<RawResponse> {
    return h2Request(port, { ":method": "POST", ":path": path, "content-type": contentType, ...extra }, [typeof body === "string" ? Buffer.from(body) : body]);
  }

  function errorOf(res: RawResponse): { code: string; message: string } {
    expect(res.headers["content-type"]).toBe("application/json");
    return JSON.parse(res.body.toString("utf8")) as { code: string; message: string };
  }

  it("answers malformed JSON with 400 invalid_argument", async () => {
    const { port } = await serve(makeTransport);
    const res = await post(port, "application/json", '{"responseSize": ');
    expect(res.status).toBe(400);
    const error = errorOf(res);
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(/failed to parse request message/);
  });

  it("ends a call at its connect-timeout-ms with 504 deadline_exceeded, the handler told why", async () => {
    const { port, seen } = await serve(makeTransport);
    const res = await post(port, "application/json", '{"key":"slow"}', { "connect-timeout-ms": "100" }, lookupPath);
    expect(res.status).toBe(504);
    expect(errorOf(res)).toEqual({ code: "deadline_exceeded", message: "deadline exceeded" });
    await expect.poll(() => seen.deadlineAborts.length).toBe(1);
    expect((seen.deadlineAborts[0] as GrpcError).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("answers a malformed connect-timeout-ms and another protocol version with 400 invalid_argument", async () => {
    const { port } = await serve(makeTransport);
    const timeout = await post(port, "application/json", "{}", { "connect-timeout-ms": "soon" });
    expect(timeout.status).toBe(400);
    expect(errorOf(timeout)).toEqual({ code: "invalid_argument", message: `connect-timeout-ms "soon" is not a timeout: it must be 1 to 10 digits of milliseconds` });
    const version = await post(port, "application/json", "{}", { "connect-protocol-version": "2" });
    expect(version.status).toBe(400);
    expect(errorOf(version).message).toBe(`connect-protocol-version must be "1": got "2"`);
  });

  it("refuses a body past the limit while it arrives, answering 429 resource_exhausted", async () => {
    const { port } = await serve(makeTransport, { maxReceiveMessageBytes: 64 * 1024 });
    const session = http2.connect(`http://127.0.0.1:${port}`);
    open.sessions.push(session);
    // 64 MiB offered in 64 KiB pieces; the answer must come long before it is all sent.
    const piece = Buffer.alloc(64 * 1024, 0x41);
    const heapBefore = process.memoryUsage().heapUsed;
    const res = await new Promise<RawResponse & { sentBytes: number }>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": unaryPath, "content-type": "application/proto" });
      let sent = 0;
      let answered = false;
      const pump = () => {
        while (!answered && sent < 64 * 1024 * 1024) {
          sent += piece.byteLength;
          if (!req.write(piece)) return void req.once("drain", pump);
        }
        if (!answered) req.end();
      };
      const chunks: Buffer[] = [];
      let head: http2.IncomingHttpHeaders = {};
      req.on("response", (h) => {
        head = h;
        answered = true;
      });
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        req.close();
        resolve({ status: Number(head[":status"]), headers: head, body: Buffer.concat(chunks), sentBytes: sent });
      });
      req.on("error", reject);
      pump();
    });
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.log(`body past the limit: ${res.sentBytes} bytes sent before the answer, heap growth ${heapGrowth} bytes`);
    expect(res.status).toBe(429);
    expect(errorOf(res).code).toBe("resource_exhausted");
    expect(res.sentBytes).toBeLessThan(64 * 1024 * 1024);
    const next = await post(port, "application/proto", new Uint8Array(0));
    expect(next.status).toBe(200);
  });

  it("answers 415 for a unary method called as streaming and an unknown content type, and 405 for GET on a method with side effects", async () => {
    const { port } = await serve(makeTransport);
    const streaming = await post(port, "application/connect+proto", new Uint8Array(0));
    expect(streaming.status).toBe(415);
    expect(streaming.body.toString()).toMatch(/call it with content-type application\/proto/);
    expect((await post(port, "application/x-unknown", "")).status).toBe(415);
    const get = await h2Request(port, { ":method": "GET", ":path": "/grpckit.testing.LookupService/Store?connect=v1&encoding=json&message=%7B%7D" });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });

  it("answers Connect requests 415 when the server has Connect turned off", async () => {
    const { port } = await serve(makeTransport, { connect: false });
    expect((await post(port, "application/json", "{}")).status).toBe(415);
    expect((await h2Request(port, { ":method": "GET", ":path": "/grpckit.testing.LookupService/Lookup?encoding=json&message=%7B%7D" })).status).toBe(415);
  });
});

describe("Connect over HTTP/1.1 to grpckit on transport-h2, raw", () => {
  it("answers a JSON POST and a GET with the bare message, a deadline with 504, and an unknown method with unimplemented", async () => {
    const { port } = await serve(() => h2Transport());
    const post = await h1Request(port, "POST", "/grpckit.testing.LookupService/Lookup", { "content-type": "application/json", "connect-protocol-version": "1" }, Buffer.from('{"key":"a"}'));
    expect(post.status).toBe(200);
    expect(post.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(post.body.toString())).toEqual({ key: "a", value: "value of a" });
    const message = Buffer.from('{"key":"b"}').toString("base64url");
    const get = await h1Request(port, "GET", `/grpckit.testing.LookupService/Lookup?connect=v1&encoding=json&base64=1&message=${message}`, {});
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body.toString())).toEqual({ key: "b", value: "value of b" });
    const slow = await h1Request(port, "POST", lookupPath, { "content-type": "application/json", "connect-timeout-ms": "100" }, Buffer.from('{"key":"slow"}'));
    expect(slow.status).toBe(504);
    expect(JSON.parse(slow.body.toString())).toEqual({ code: "deadline_exceeded", message: "deadline exceeded" });
    const unknown = await h1Request(port, "POST", "/grpckit.testing.LookupService/Delete", { "content-type": "application/json" }, Buffer.from("{}"));
    expect(unknown.status).toBe(501);
    expect(JSON.parse(unknown.body.toString())).toEqual({ code: "unimplemented", message: "unknown method Delete for service grpckit.testing.LookupService" });
  });
});
