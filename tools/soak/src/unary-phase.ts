/**
 * Phase 1: many unary calls with a bounded number in flight over a few channels, and
 * the server's resident memory at the start, after warm-up and at the end. Calls stop
 * for the two memory readings, so each is taken with the server idle.
 */
import type { Client } from "@grpckit/core";
import { FailureTally } from "./failure-tally.js";
import type { EchoService } from "./gen/soak/v1/echo_pb.js";
import type { SettledMemory } from "./server-messages.js";

export interface UnaryResult {
  planned: number;
  warmupCalls: number;
  completed: number;
  succeeded: number;
  failed: number;
  failuresByCode: Record<string, number>;
  firstFailure?: string;
  /** Time spent calling, without the pauses for memory readings. */
  durationSeconds: number;
  callsPerSecond: number;
  /** Server memory after garbage collection: before any call, after warm-up, at the end. */
  serverMemory: { start: SettledMemory; afterWarmup: SettledMemory; end: SettledMemory };
  /** Growth of the server's RSS from after warm-up to the end, in percent. */
  rssGrowthPercent: number;
  /** The run's time limit came before the last call. */
  cutShort: boolean;
}

export interface UnaryPhaseInput {
  clients: readonly Client<typeof EchoService>[];
  calls: number;
  warmupCalls: number;
  concurrency: number;
  payload: Uint8Array;
  /** performance.now() after which no call is started. */
  deadline: number;
  memory: () => Promise<SettledMemory>;
  log: (line: string) => void;
}

export async function runUnaryPhase(input: UnaryPhaseInput): Promise<UnaryResult> {
  const { clients, calls, warmupCalls, concurrency, payload, deadline } = input;
  const failures = new FailureTally();
  let succeeded = 0;
  let cutShort = false;
  let callingMs = 0;

  const runCalls = (from: number, to: number): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      let next = from;
      let inFlight = 0;
      const onSuccess = (callId: number, response: { callId: number; sequence: number; payload: Uint8Array }): void => {
        if (response.callId === callId && response.sequence === 0 && response.payload.length === payload.length) succeeded++;
        else failures.add(new Error(`call ${callId} was answered with the echo of call ${response.callId} (${response.payload.length} payload bytes)`));
        done();
      };
      const onFailure = (error: unknown): void => {
        failures.add(error);
        done();
      };
      const done = (): void => {
        inFlight--;
        issue();
      };
      const issue = (): void => {
        while (inFlight < concurrency && next < to) {
          if (performance.now() > deadline) {
            cutShort = true;
            next = to;
            break;
          }
          const callId = next++;
          inFlight++;
          clients[callId % clients.length].echo({ callId, sequence: 0, payload }).then(
            (response) => onSuccess(callId, response),
            onFailure,
          );
        }
        if (inFlight === 0) {
          callingMs += performance.now() - started;
          resolve();
        }
      };
      issue();
    });

  const start = await input.memory();
  input.log(`unary: ${warmupCalls} warm-up calls, ${concurrency} in flight over ${clients.length} channels`);
  await runCalls(0, warmupCalls);
  const afterWarmup = await input.memory();
  input.log(`unary: ${calls - warmupCalls} more calls`);
  await runCalls(warmupCalls, calls);
  const end = await input.memory();

  const completed = succeeded + failures.count;
  const durationSeconds = callingMs / 1000;
  return {
    planned: calls,
    warmupCalls,
    completed,
    succeeded,
    failed: failures.count,
    failuresByCode: failures.byCode,
    ...(failures.first !== undefined ? { firstFailure: failures.first } : {}),
    durationSeconds,
    callsPerSecond: durationSeconds > 0 ? completed / durationSeconds : 0,
    serverMemory: { start, afterWarmup, end },
    rssGrowthPercent: ((end.rss - afterWarmup.rss) / afterWarmup.rss) * 100,
    cutShort,
  };
}
