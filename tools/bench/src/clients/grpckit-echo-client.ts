/**
 * Bench calls made with a grpckit client, over whichever transport the entry point
 * hands in (grpckit-client.ts: transport-http2; grpckit-h2-client.ts: transport-h2).
 * With `--channelz`, channelz is enabled before the first channel is created;
 * `--max-message-bytes N` raises the largest message received and sent to N bytes.
 */
import { channelzRegistry, createChannel, createClient, enableChannelz, type TransportBuilder } from "@grpckit/core";
import type { BenchMessage } from "../bench-message.js";
import { EchoService, type EchoRequest } from "../gen/bench/v1/echo_pb.js";
import { maxMessageBytes } from "../message-limit.js";
import { checkCount, runClientMain, type ClientConnection, type ConnectClient } from "./client-harness.js";

async function* repeat(request: EchoRequest, count: number): AsyncGenerator<EchoRequest> {
  for (let i = 0; i < count; i++) yield request;
}

/** Calls channelz counted on this process's channels; 0 while channelz is off. */
function channelzCalls(): number {
  let calls = 0;
  for (const recorded of channelzRegistry()?.topChannels(0, Number.MAX_SAFE_INTEGER).items ?? []) {
    calls += recorded.calls.callsStarted;
  }
  return calls;
}

/** Connects each bench connection as one grpckit channel on a transport from `transport()`. */
function grpckitConnector(transport: () => TransportBuilder): ConnectClient {
  return (target: string, message: BenchMessage): ClientConnection => {
    const limit = maxMessageBytes();
    const channel = createChannel(target, {
      transport: transport(),
      ...(limit !== undefined ? { maxReceiveMessageBytes: limit, maxSendMessageBytes: limit } : {}),
    });
    const client = createClient(EchoService, channel);
    const request = message.request;
    const payloadLength = message.payload.length;
    return {
      unary(done) {
        client.echo(request).then(
          (response) => done(response.payload.length === payloadLength ? undefined : new Error("wrong echo")),
          done,
        );
      },

      async stream(count) {
        let received = 0;
        for await (const response of client.echoStream(repeat(request, count))) {
          if (response.payload.length !== payloadLength) throw new Error("wrong echo");
          received++;
        }
        if (received !== count) throw new Error(`echoed ${received} of ${count} messages`);
      },

      async serverStream(count) {
        let received = 0;
        for await (const response of client.echoServerStream({ payload: request.payload, count })) {
          if (response.payload.length !== payloadLength) throw new Error("wrong echo");
          received++;
        }
        if (received !== count) throw new Error(`echoed ${received} of ${count} messages`);
      },

      async call(other) {
        const response = await client.echo(other.request);
        if (response.payload.length !== other.payload.length) throw new Error(`echo of ${response.payload.length} payload bytes, sent ${other.payload.length}`);
      },

      async countStream(count) {
        const counted = await client.countStream(repeat(request, count), { compression: "gzip" });
        checkCount(Number(counted.messages), Number(counted.payloadBytes), count, payloadLength);
      },

      async openStream() {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        async function* requests(): AsyncGenerator<EchoRequest> {
          yield request;
          await released;
        }
        const responses = client.echoStream(requests())[Symbol.asyncIterator]();
        const first = await responses.next();
        if (first.done === true) throw new Error("stream ended before its echo");
        return async () => {
          release();
          while ((await responses.next()).done !== true) {
            // drain to the status
          }
        };
      },

      channelzCalls,

      close() {
        channel.close();
      },
    };
  };
}

/** Runs the scenario named on the command line with grpckit channels, each on a builder made by `transport()`. */
export async function runGrpckitClient(transport: () => TransportBuilder): Promise<void> {
  if (process.argv.includes("--channelz")) enableChannelz();
  await runClientMain(grpckitConnector(transport));
}
