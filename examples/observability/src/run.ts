/**
 * The example's flow: a server with the health service, and a channel whose calls to
 * it are reported attempt by attempt and binary-logged on both sides to one file.
 */
import { Code, GrpcError, createChannel, createClient, createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { addHealthService, HealthService } from "@grpckit/health";
import { binaryLog, fileSink } from "@grpckit/binarylog";
import { attemptLog } from "./attempt-log.js";
import { describeEntry, readBinaryLog } from "./read-binary-log.js";

export async function run(logPath: string, print: (line: string) => void): Promise<void> {
  const transport = h2Transport();
  const sink = fileSink(logPath);
  // Health checks are logged with their metadata and the first 64 bytes of each message.
  const log = binaryLog({ filter: "grpc.health.v1.Health/*{h;m:64}", sink });

  // The attempt log hears the server's connections too (it tags only client calls).
  const server = createServer({ transport, statsHandlers: [attemptLog(print), log] });
  addHealthService(server);
  const { address } = await server.listen("127.0.0.1:0");

  const channel = createChannel(address, {
    transport,
    statsHandlers: [attemptLog(print), log],
    // NOT_FOUND is retried here only to show attempts: the service below is never known.
    defaultServiceConfig: {
      methodConfig: [
        {
          name: [{ service: "grpc.health.v1.Health" }],
          retryPolicy: { maxAttempts: 3, initialBackoff: "0.01s", maxBackoff: "0.01s", backoffMultiplier: 1, retryableStatusCodes: ["NOT_FOUND"] },
        },
      ],
    },
  });
  const health = createClient(HealthService, channel);
  print(`check "": status ${(await health.check({ service: "" })).status}`);
  try {
    await health.check({ service: "demo.Unknown" });
  } catch (e) {
    if (!(e instanceof GrpcError) || e.code !== Code.NOT_FOUND) throw e;
    print(`check "demo.Unknown": ${e.message}`);
  }

  channel.close();
  await server.shutdown();
  await sink.close();
  for (const entry of await readBinaryLog(logPath)) print(describeEntry(entry));
}
