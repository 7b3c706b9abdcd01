// One side of the unary calls whose garbage the call-garbage test weighs, in a
// process of its own so the heap it reports is that side's alone: a grpckit server or
// client on transport-h2 (the built packages), the interop TestService's UnaryCall
// with a 98-byte payload.
//
// Run with --expose-gc.
//
//   node gc-promotion-peer.mjs server <warm-up calls> <measured calls>
//     prints {"port"} once listening, then, after the warm-up calls and the measured
//     calls it served, {"promoted","scavenges","calls"} for the measured ones.
//   node gc-promotion-peer.mjs client <warm-up calls> <measured calls> <port> <in flight>
//     makes the calls, keeping <in flight> of them going, and prints the same.
import { createChannel, createClient, createServer } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import v8 from "node:v8";
import { TestService } from "../../../../tools/interop/dist/gen/grpc/testing/test_pb.js";

const [role, warmUpArg, measuredArg, portArg, inFlightArg] = process.argv.slice(2);
const warmUp = Number(warmUpArg);
const measured = Number(measuredArg);
const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

/** Bytes scavenges moved to the old generation (objects that outlived two of them) while measuring. */
class PromotionMeter {
  profiler = new v8.GCProfiler();
  usedAtStart = 0;
  start() {
    this.usedAtStart = v8.getHeapStatistics().used_heap_size;
    this.profiler.start();
  }
  stop() {
    const { statistics } = this.profiler.stop();
    let promoted = 0;
    let scavenges = 0;
    // Allocated: what each collection found in use, less what the previous one left.
    let allocated = 0;
    let previous = this.usedAtStart;
    for (const gc of statistics) {
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - previous;
      previous = gc.afterGC.heapStatistics.usedHeapSize;
      if (gc.gcType !== "Scavenge") continue;
      scavenges++;
      promoted += oldSpaceUsed(gc.afterGC) - oldSpaceUsed(gc.beforeGC);
    }
    allocated += v8.getHeapStatistics().used_heap_size - previous;
    return { promoted, scavenges, allocated, calls: measured };
  }
}

function oldSpaceUsed(snapshot) {
  return snapshot.heapSpaceStatistics.find((space) => space.spaceName === "old_space")?.spaceUsedSize ?? 0;
}

/**
 * A full collection with calls in flight, as a busy process has from time to time: it
 * moves what the running calls share (the connection's and the server's tables of
 * them) to the old generation, where a stale reference from them keeps young objects
 * alive through every scavenge until the next full collection.
 */
function collectWhileBusy() {
  globalThis.gc();
}

const meter = new PromotionMeter();
const transport = h2Transport();

if (role === "server") {
  let served = 0;
  const server = createServer({ transport });
  server.addService(TestService, {
    unaryCall(request) {
      served++;
      if (served === warmUp) {
        collectWhileBusy();
        meter.start();
      }
      else if (served === warmUp + measured) setImmediate(() => reply(meter.stop()));
      return { payload: request.payload };
    },
  });
  const { port } = await server.listen("127.0.0.1:0");
  reply({ port });
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
} else {
  const channel = createChannel(`127.0.0.1:${portArg}`, { transport });
  const client = createClient(TestService, channel);
  const payload = { body: new Uint8Array(98) };
  const run = (calls, inFlight) => {
    let started = 0;
    const worker = async () => {
      while (started < calls) {
        started++;
        await client.unaryCall({ payload });
      }
    };
    return Promise.all(Array.from({ length: inFlight }, worker));
  };
  const inFlight = Number(inFlightArg);
  await run(warmUp, inFlight);
  const measuring = run(measured, inFlight);
  collectWhileBusy();
  meter.start();
  await measuring;
  reply(meter.stop());
  channel.close();
  process.exit(0);
}
