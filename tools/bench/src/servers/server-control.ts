/**
 * What every bench server process shares with the driver: it reads `--port`, prints the
 * bound port on stdout once it accepts connections, answers "memory" on stdin with a
 * settled memory snapshot (one JSON line), answers "cpu" with the process's CPU time so
 * far (`{"userMicros": U, "systemMicros": S}`), answers "channelz" with the calls channelz
 * recorded (`{"calls": N}`, 0 for a server without channelz), answers "rss-reset" by
 * collecting garbage, resetting the process's peak resident set to what it holds now and
 * answering `{"rssBytes": R, "peakRssBytes": P}`, answers "rss" with the same reading
 * without a reset, answers "loop-delay" with the event-loop delay of the last
 * client-streaming call it received (see loop-delay.ts; null when none), and stops on "stop" or
 * when stdin closes (the driver went away). Started by hand, with stdin not a pipe, it runs until killed.
 */
import { fstatSync } from "node:fs";
import { createInterface } from "node:readline";
import { processCpuTime } from "../cpu-time.js";
import { settledMemory } from "../memory-snapshot.js";
import { residentMemory } from "../proc-status.js";
import { resetPeakRss } from "../peak-rss.js";
import { lastCallLoopDelay } from "../loop-delay.js";

export { maxMessageBytes } from "../message-limit.js";

/** The address a bench server listens on: 127.0.0.1 and the port given with --port (0 by default). */
export function listenPort(argv: readonly string[] = process.argv.slice(2)): number {
  const index = argv.indexOf("--port");
  return index === -1 ? 0 : Number(argv[index + 1]);
}

/**
 * Announces `port` to the driver and serves its commands until told to stop;
 * `channelzCalls` counts the calls channelz recorded in this process.
 */
export function serveControl(port: number, stop: () => Promise<void> | void, channelzCalls?: () => number): void {
  process.stdout.write(`${port}\n`);
  let stopping = false;
  const exit = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const forced = setTimeout(() => process.exit(0), 2000);
    forced.unref();
    try {
      await stop();
    } finally {
      process.exit(0);
    }
  };
  if (!stdinIsPipe()) return;
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const command = line.trim();
    if (command === "memory") {
      void settledMemory().then((snapshot) => process.stdout.write(`${JSON.stringify(snapshot)}\n`));
    } else if (command === "cpu") {
      process.stdout.write(`${JSON.stringify(processCpuTime())}\n`);
    } else if (command === "channelz") {
      process.stdout.write(`${JSON.stringify({ calls: channelzCalls?.() ?? 0 })}\n`);
    } else if (command === "rss-reset") {
      void settledMemory().then(() => process.stdout.write(`${JSON.stringify(resetPeakRss())}\n`));
    } else if (command === "rss") {
      process.stdout.write(`${JSON.stringify(residentMemory("self"))}\n`);
    } else if (command === "loop-delay") {
      process.stdout.write(`${JSON.stringify(lastCallLoopDelay() ?? null)}\n`);
    } else if (command === "stop") {
      void exit();
    }
  });
  lines.on("close", () => void exit());
}

function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
