/**
 * The interop test matrix: every client case in three pairings (grpckit and
 * @grpc/grpc-js on either side), one vitest test per (pairing, case), over
 * plaintext or TLS.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { createChannel, createClient, type Channel, type ChannelCredentials } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { testCaseNames } from "../src/case-parameters.js";
import { interopCases, type TestServiceClient } from "../src/client.js";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import { startInteropServer, type InteropServer } from "../src/server.js";
import { createGrpcJsClients, grpcJsCases, type GrpcJsClients, type GrpcJsClientTls } from "./grpc-js-client.js";
import { startGrpcJsServer, type GrpcJsServer, type GrpcJsServerTls } from "./grpc-js-server.js";

/** How the pairings connect; plaintext when every field is absent. */
export interface MatrixSecurity {
  /** Appended to each pairing's name: " over TLS". */
  suffix: string;
  /** The grpckit server serves TLS with the interop test certificates. */
  grpckitServerTls?: boolean;
  /** The grpckit client's channel credentials. */
  grpckitClientCredentials?: () => ChannelCredentials;
  grpcJsServerTls?: GrpcJsServerTls;
  grpcJsClientTls?: GrpcJsClientTls;
}

/** Declares the three pairings' describe blocks. */
export function describeInteropMatrix(security: MatrixSecurity): void {
  const channelOf = (address: string): Channel =>
    createChannel(address, { transport: http2Transport(), credentials: security.grpckitClientCredentials?.() });

  describe(`grpckit client -> grpckit server${security.suffix}`, () => {
    let server: InteropServer;
    let channel: Channel;
    let client: TestServiceClient;

    beforeAll(async () => {
      server = await startInteropServer({ useTls: security.grpckitServerTls });
      channel = channelOf(server.address);
      client = createClient(TestService, channel);
    });
    afterAll(async () => {
      channel?.close();
      await server?.close();
    });

    for (const name of testCaseNames) {
      it(`${name} passes`, () => interopCases[name](client, { channel }));
    }
  });

  describe(`grpckit client -> grpc-js server${security.suffix}`, () => {
    let server: GrpcJsServer;
    let channel: Channel;
    let client: TestServiceClient;
    // A grpc-js server cannot compress responses or tell a compressed request from a
    // plain one, so the assertions only those features can satisfy are left out.
    const serverFeatures = { compressedRequest: false, compressedResponse: false };

    beforeAll(async () => {
      server = await startGrpcJsServer(security.grpcJsServerTls);
      channel = channelOf(server.address);
      client = createClient(TestService, channel);
    });
    afterAll(async () => {
      channel?.close();
      await server?.close();
    });

    for (const name of testCaseNames) {
      it(`${name} passes`, () => interopCases[name](client, { channel, serverFeatures }));
    }
  });

  describe(`grpc-js client -> grpckit server${security.suffix}`, () => {
    let server: InteropServer;
    let clients: GrpcJsClients;

    beforeAll(async () => {
      server = await startInteropServer({ useTls: security.grpckitServerTls });
      clients = createGrpcJsClients(server.address, security.grpcJsClientTls);
    });
    afterAll(async () => {
      clients?.close();
      await server?.close();
    });

    for (const name of testCaseNames) {
      it(`${name} passes`, () => grpcJsCases[name](clients));
    }
  });
}
