/** Loopback servers, client connections and recording listeners shared by the tests. */
import {
  insecureCredentials,
  type ClientStreamListener,
  type ClientTransport,
  type ClientTransportOptions,
  type Http2Headers,
  type ServerStreamListener,
  type ServerTransportOptions,
  type ServerTransportStream,
  type KeepaliveLimits,
  type TransportBuilder,
  type TransportListener,
} from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";

import { h2Transport } from "../../transport-h2/src/index.js";
import { createH2Transport } from "../../transport-h2/src/h2-transport.js";
import { createHttp2Transport, type Http2TransportOptions } from "../src/http2-transport.js";

/**
 * The transport under test. These seam tests hold for any transport: the root vitest
 * config runs them a second time with GRPCKIT_TEST_TRANSPORT=h2, on grpckit's own HTTP/2.
 */
export const transport = process.env.GRPCKIT_TEST_TRANSPORT === "h2" ? h2Transport() : http2Transport();

/** The transport's default stream window: 4 MiB on transport-h2, 1 MiB on transport-http2. */
export const defaultStreamWindow = process.env.GRPCKIT_TEST_TRANSPORT === "h2" ? 4 << 20 : 1 << 20;

/** The options both transports take for keepalive and connection management. */
export type ManagementOptions = Pick<Http2TransportOptions, "keepalive" | "serverKeepalive" | "keepaliveEnforcement">;

/** The transport under test with keepalive options and the smallest intervals given (tests run in ms). */
export function transportWith(options: ManagementOptions, limits: KeepaliveLimits): TransportBuilder {
  return process.env.GRPCKIT_TEST_TRANSPORT === "h2" ? createH2Transport(options, limits) : createHttp2Transport(options, limits);
}
export const insecure = insecureCredentials();

/** Resolves with a value, or rejects after `ms` saying what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A queue of values that tests await one by one. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((item: T) => void)[] = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(item);
    else this.items.push(item);
  }

  next(ms = 5000, what = "the next item"): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    let waiter!: (item: T) => void;
    const arrived = new Promise<T>((resolve) => {
      waiter = resolve;
      this.waiters.push(resolve);
    });
    return within(arrived, ms, what).catch((e: unknown) => {
      // A waiter that gave up must not swallow the item that comes later.
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      throw e;
    });
  }
}

export interface TestServer {
  readonly listener: TransportListener;
  readonly streams: Inbox<ServerTransportStream>;
}

/** Listens on `address` (loopback, port 0 by default); server streams queue up for the test. */
export async function startServer(address = "127.0.0.1:0", options: Partial<ServerTransportOptions> = {}): Promise<TestServer> {
  const streams = new Inbox<ServerTransportStream>();
  const listener = await transport.listen(address, {
    credentials: insecure,
    onStream: (stream) => streams.push(stream),
    ...options,
  });
  return { listener, streams };
}

export interface TestClient {
  readonly transport: ClientTransport;
  readonly goaways: number[];
  /** Settles with the error passed to onClose (undefined for a clean close). */
  readonly closed: Promise<Error | undefined>;
  readonly closeCount: () => number;
}

export async function connect(address: string, options: Partial<ClientTransportOptions> = {}): Promise<TestClient> {
  const goaways: number[] = [];
  let closes = 0;
  let onClosed!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (onClosed = resolve));
  const t = await transport.connect(address, {
    authority: "localhost",
    credentials: insecure,
    connectTimeoutMs: 5000,
    onGoaway: (code) => goaways.push(code),
    onClose: (error) => {
      closes++;
      onClosed(error);
    },
    ...options,
  });
  return { transport: t, goaways, closed, closeCount: () => closes };
}

export const requestHeaders: Http2Headers = {
  ":method": "POST",
  ":scheme": "http",
  ":path": "/grpckit.test.Echo/Call",
  ":authority": "localhost",
  "content-type": "application/grpc",
  te: "trailers",
};

export const responseHeaders: Http2Headers = { ":status": 200, "content-type": "application/grpc" };

export interface Closed {
  rstCode: number | undefined;
  error: Error | undefined;
}

/** Records what a client stream delivers, in order. */
export class ClientRecorder implements ClientStreamListener {
  readonly events: string[] = [];
  readonly chunks: Buffer[] = [];
  headers: Http2Headers | undefined;
  trailers: Http2Headers | undefined;
  readonly headersSeen: Promise<Http2Headers>;
  readonly closed: Promise<Closed>;
  drains = new Inbox<true>();
  closeCount = 0;
  private onHeadersSeen!: (h: Http2Headers) => void;
  private onClosed!: (c: Closed) => void;

  constructor() {
    this.headersSeen = new Promise((resolve) => (this.onHeadersSeen = resolve));
    this.closed = new Promise((resolve) => (this.onClosed = resolve));
  }

  onHeaders(headers: Http2Headers, endStream: boolean): void {
    this.events.push(endStream ? "headers+end" : "headers");
    this.headers = headers;
    this.onHeadersSeen(headers);
  }
  onData(chunk: Uint8Array): void {
    if (this.events[this.events.length - 1] !== "data") this.events.push("data");
    this.chunks.push(Buffer.from(chunk));
  }
  onTrailers(trailers: Http2Headers): void {
    this.events.push("trailers");
    this.trailers = trailers;
  }
  onDrain(): void {
    this.drains.push(true);
  }
  onClose(rstCode: number | undefined, error?: Error): void {
    this.events.push("close");
    this.closeCount++;
    this.onClosed({ rstCode, error });
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Records what a server stream delivers, in order. */
export class ServerRecorder implements ServerStreamListener {
  readonly events: string[] = [];
  readonly chunks: Buffer[] = [];
  readonly ended: Promise<void>;
  readonly closed: Promise<Closed>;
  drains = new Inbox<true>();
  closeCount = 0;
  private onEnded!: () => void;
  private onClosed!: (c: Closed) => void;

  constructor() {
    this.ended = new Promise((resolve) => (this.onEnded = resolve));
    this.closed = new Promise((resolve) => (this.onClosed = resolve));
  }

  onData(chunk: Uint8Array): void {
    if (this.events[this.events.length - 1] !== "data") this.events.push("data");
    this.chunks.push(Buffer.from(chunk));
  }
  onEnd(): void {
    this.events.push("end");
    this.onEnded();
  }
  onDrain(): void {
    this.drains.push(true);
  }
  onClose(rstCode: number | undefined, error?: Error): void {
    this.events.push("close");
    this.closeCount++;
    this.onClosed({ rstCode, error });
  }

  get body(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Deterministic bytes of a given length, so corruption or reordering shows. */
export function pattern(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
