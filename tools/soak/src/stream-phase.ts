/**
 * Phase 2: many bidi streams open at once over a few channels. Each stream sends its
 * first message and waits until every stream has had its first echo, so all of them
 * are open together; then each sends the rest of its numbered messages and checks that
 * every echo comes back in order.
 */
import { setMaxListeners } from "node:events";
import type { Client } from "@grpckit/core";
import { FailureTally } from "./failure-tally.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EchoMessageSchema, EchoService } from "./gen/soak/v1/echo_pb.js";

export interface StreamResult {
  planned: number;
  messagesPerStream: number;
  /** Streams that had their first echo while every other stream was still open or starting. */
  openAtOnce: number;
  /** Streams that ended with OK after echoing every message in order. */
  ok: number;
  /** Streams that ended with an error status. */
  failed: number;
  failuresByCode: Record<string, number>;
  firstFailure?: string;
  /** Streams that saw an echo out of order or from another stream (and were cancelled). */
  outOfOrder: number;
  /** Streams that ended with OK before echoing every message. */
  incomplete: number;
  /** Echoes received in the expected order, over all streams. */
  messagesChecked: number;
  durationSeconds: number;
  /** The run's time limit cancelled the streams still open. */
  cutShort: boolean;
}

export interface StreamPhaseInput {
  clients: readonly Client<typeof EchoService>[];
  streams: number;
  messages: number;
  payload: Uint8Array;
  /** performance.now() at which streams still open are cancelled. */
  deadline: number;
  log: (line: string) => void;
}

/** Resolves once `count` arrivals were counted, or when released early. */
class Barrier {
  private arrivals = 0;
  private release!: () => void;
  readonly released = new Promise<void>((resolve) => (this.release = resolve));

  constructor(private readonly count: number) {
    if (count === 0) this.release();
  }

  arrive(): void {
    if (++this.arrivals >= this.count) this.release();
  }

  open(): void {
    this.release();
  }
}

export async function runStreamPhase(input: StreamPhaseInput): Promise<StreamResult> {
  const { clients, streams, messages, payload } = input;
  const failures = new FailureTally();
  const barrier = new Barrier(streams);
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  let cutShort = false;
  const timer = setTimeout(() => {
    cutShort = true;
    abort.abort();
    barrier.open();
  }, Math.max(0, input.deadline - performance.now()));

  let openAtOnce = 0;
  let ok = 0;
  let outOfOrder = 0;
  let incomplete = 0;
  let messagesChecked = 0;

  async function* requests(callId: number): AsyncGenerator<MessageInitShape<typeof EchoMessageSchema>> {
    yield { callId, sequence: 0, payload };
    await barrier.released;
    for (let sequence = 1; sequence < messages && !abort.signal.aborted; sequence++) yield { callId, sequence, payload };
  }

  async function runStream(callId: number): Promise<void> {
    let received = 0;
    let arrived = false;
    try {
      const responses = clients[callId % clients.length].echoStream(requests(callId), { signal: abort.signal });
      for await (const response of responses) {
        if (response.callId !== callId || response.sequence !== received || response.payload.length !== payload.length) {
          outOfOrder++;
          return;
        }
        received++;
        messagesChecked++;
        if (!arrived) {
          arrived = true;
          openAtOnce++;
          barrier.arrive();
        }
      }
      if (received === messages) ok++;
      else incomplete++;
    } catch (error) {
      failures.add(error);
    } finally {
      if (!arrived) barrier.arrive();
    }
  }

  input.log(`streams: opening ${streams} bidi streams over ${clients.length} channels, ${messages} messages each`);
  const started = performance.now();
  const running: Promise<void>[] = [];
  for (let callId = 0; callId < streams; callId++) running.push(runStream(callId));
  await barrier.released;
  const openWhenReleased = openAtOnce;
  input.log(`streams: ${openWhenReleased} open at once; sending the remaining messages`);
  await Promise.all(running);
  const durationSeconds = (performance.now() - started) / 1000;
  clearTimeout(timer);

  return {
    planned: streams,
    messagesPerStream: messages,
    openAtOnce: openWhenReleased,
    ok,
    failed: failures.count,
    failuresByCode: failures.byCode,
    ...(failures.first !== undefined ? { firstFailure: failures.first } : {}),
    outOfOrder,
    incomplete,
    messagesChecked,
    durationSeconds,
    cutShort,
  };
}
