/**
 * Bench calls made with a grpckit client over @grpckit/transport-http2. With
 * `--channelz`, channelz is enabled before the first channel is created.
 */
import { channelzRegistry, createChannel, createClient, enableChannelz } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import type { BenchMessage } from "../bench-message.js";
import { EchoService, type EchoRequest } from "../gen/bench/v1/echo_pb.js";
import { runClientMain, type ClientConnection } from "./client-harness.js";

if (process.argv.includes("--channelz")) enableChannelz();

async function* repeat(request: EchoRequest, count: number): AsyncGenerator<EchoRequest> {
  for (let i = 0; i < count; i++) yield request;
}

function connect(target: string, message: BenchMessage): ClientConnection {
  const channel = createChannel(target, { transport: http2Transport() });
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

    channelzCalls() {
      let calls = 0;
      for (const recorded of channelzRegistry()?.topChannels(0, Number.MAX_SAFE_INTEGER).items ?? []) {
        calls += recorded.calls.callsStarted;
      }
      return calls;
    },

    close() {
      channel.close();
    },
  };
}

await runClientMain(connect);
