/**
 * The interop test matrix: every client case in three pairings (grpckit and
 * @grpc/grpc-js on either side), one vitest test per (pairing, case), over
 * plaintext or TLS, on any grpckit transport.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { createChannel, createClient, type Channel, type ChannelCredentials, type TransportBuilder } from "@grpckit/core";
import { testCaseNames } from "../src/case-parameters.js";
import { interopCases, type TestServiceClient } from "../src/client.js";
import { TestService } from "../src/gen/grpc/testing/test_pb.js";
import { startInteropServer, type InteropServer } from "../src/server.js";
import { transportFor } from "@grpckit/transport-choice";
import { createGrpcJsClients, grpcJsCases, type GrpcJsClients, type GrpcJsClientTls } from "./grpc-js-client.js";
import { startGrpcJsServer, type GrpcJsServer, type GrpcJsServerTls } from "./grpc-js-server.js";

/** How the pairings connect; plaintext on the default transport when every field is absent. */
export interface MatrixOptions {
  /** Appended to each pairing's name: " over TLS". */
  suffix: string;
  /** Makes the transport of every grpckit server and channel; @grpckit/transport-choice's default when absent. */
  grpckitTransport?: () => TransportBuilder;
  /** The grpckit server serves TLS with the interop test certificates. */
  grpckitServerTls?: boolean;
  /** The grpckit client's channel credentials. */
  grpckitClientCredentials?: () => ChannelCredentials;
  grpcJsServerTls?: GrpcJsServerTls;
  grpcJsClientTls?: GrpcJsClientTls;
}

/** Declares the three pairings' describe blocks. */
export function describeInteropMatrix(options: MatrixOptions): void {
  const transport = (): TransportBuilder => options.grpckitTransport?.() ?? transportFor();
  const channelOf = (address: string): Channel =>
    createChannel(address, { transport: transport(), credentials: options.grpckitClientCredentials?.() });

  describe(`grpckit client -> grpckit server${options.suffix}`, () => {
    let server: InteropServer;
    let channel: Channel;
    let client: TestServiceClient;

    beforeAll(async () => {
      server = await startInteropServer({ useTls: options.grpckitServerTls, transport: transport() });
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

  describe(`grpckit client -> grpc-js server${options.suffix}`, () => {
    let server: GrpcJsServer;
    let channel: Channel;
    let client: TestServiceClient;
    // A grpc-js server cannot compress responses or tell a compressed request from a
    // plain one, so the assertions only those features can satisfy are left out.
    const serverFeatures = { compressedRequest: false, compressedResponse: false };

    beforeAll(async () => {
      server = await startGrpcJsServer(options.grpcJsServerTls);
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

  describe(`grpc-js client -> grpckit server${options.suffix}`, () => {
    let server: InteropServer;
    let clients: GrpcJsClients;

    beforeAll(async () => {
      server = await startInteropServer({ useTls: options.grpckitServerTls, transport: transport() });
      clients = createGrpcJsClients(server.address, options.grpcJsClientTls);
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
