/**
 * gRPC's standard metric instruments (gRFC A66): their names, units, descriptions and
 * the histogram bucket boundaries A66 asks for, given to the SDK as advice.
 */
import type { Counter, Histogram, Meter } from "@opentelemetry/api";

/** A66's latency buckets, in seconds. */
export const latencyBuckets: readonly number[] = [
  0, 0.00001, 0.00005, 0.0001, 0.0003, 0.0006, 0.0008, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.013, 0.016, 0.02,
  0.025, 0.03, 0.04, 0.05, 0.065, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1, 2, 5, 10, 20, 50, 100,
];

/** A66's size buckets, in bytes. */
export const sizeBuckets: readonly number[] = [
  0, 1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296,
];

export interface ClientInstruments {
  readonly attemptStarted: Counter;
  readonly attemptDuration: Histogram;
  readonly attemptSentSize: Histogram;
  readonly attemptRcvdSize: Histogram;
  readonly callDuration: Histogram;
}

export interface ServerInstruments {
  readonly callStarted: Counter;
  readonly callDuration: Histogram;
  readonly callSentSize: Histogram;
  readonly callRcvdSize: Histogram;
}

function latency(meter: Meter, name: string, description: string): Histogram {
  return meter.createHistogram(name, { unit: "s", description, advice: { explicitBucketBoundaries: [...latencyBuckets] } });
}

function size(meter: Meter, name: string, description: string): Histogram {
  return meter.createHistogram(name, { unit: "By", description, advice: { explicitBucketBoundaries: [...sizeBuckets] } });
}

export function clientInstruments(meter: Meter): ClientInstruments {
  return {
    attemptStarted: meter.createCounter("grpc.client.attempt.started", {
      unit: "{attempt}",
      description: "Number of client call attempts started, including those not completed.",
    }),
    attemptDuration: latency(meter, "grpc.client.attempt.duration", "Time from the start of a client call attempt to its end, including the pick."),
    attemptSentSize: size(
      meter,
      "grpc.client.attempt.sent_total_compressed_message_size",
      "Bytes of request messages sent per client call attempt, compressed, without framing or metadata.",
    ),
    attemptRcvdSize: size(
      meter,
      "grpc.client.attempt.rcvd_total_compressed_message_size",
      "Bytes of response messages received per client call attempt, compressed, without framing or metadata.",
    ),
    callDuration: latency(meter, "grpc.client.call.duration", "Time from the start of a client call to the delivery of its status."),
  };
}

export function serverInstruments(meter: Meter): ServerInstruments {
  return {
    callStarted: meter.createCounter("grpc.server.call.started", {
      unit: "{call}",
      description: "Number of server calls started, including those not completed.",
    }),
    callDuration: latency(meter, "grpc.server.call.duration", "Time from a server call's request headers to its status."),
    callSentSize: size(
      meter,
      "grpc.server.call.sent_total_compressed_message_size",
      "Bytes of response messages sent per server call, compressed, without framing or metadata.",
    ),
    callRcvdSize: size(
      meter,
      "grpc.server.call.rcvd_total_compressed_message_size",
      "Bytes of request messages received per server call, compressed, without framing or metadata.",
    ),
  };
}
