/**
 * A stats handler that prints one line per client attempt (its method, number, whether
 * it was a hedge or a transparent retry, status, time and message bytes) and one per
 * connection begun or ended. The per-call tag carries the attempts from begin to end.
 */
import { codeName, type CallStatsEvent, type StatsHandler } from "@grpckit/core";

interface Attempt {
  readonly start: number;
  readonly note: string;
  sent: number;
  received: number;
}

/** What each client call is tagged with. */
interface CallTag {
  readonly method: string;
  readonly attempts: Map<number, Attempt>;
}

/** What each connection is tagged with. */
interface ConnectionTag {
  readonly name: string;
}

export function attemptLog(print: (line: string) => void): StatsHandler<CallTag, ConnectionTag> {
  return {
    // Client calls only; a server's calls are not tagged, so they are not heard.
    tagCall: (info) => (info.side === "client" ? { method: info.method, attempts: new Map() } : undefined),
    handleCall(call: CallTag, event: CallStatsEvent) {
      switch (event.type) {
        case "begin":
          call.attempts.set(event.attempt, {
            start: performance.now(),
            note: event.hedge ? " (hedge)" : event.transparentRetry ? " (transparent retry)" : "",
            sent: 0,
            received: 0,
          });
          break;
        case "outPayload":
        case "inPayload": {
          const a = call.attempts.get(event.attempt);
          if (a !== undefined && event.type === "outPayload") a.sent += event.compressedLength;
          if (a !== undefined && event.type === "inPayload") a.received += event.compressedLength;
          break;
        }
        case "end": {
          const a = call.attempts.get(event.attempt)!;
          call.attempts.delete(event.attempt);
          const ms = (performance.now() - a.start).toFixed(1);
          print(`${call.method} attempt ${event.attempt}${a.note}: ${codeName(event.code)} in ${ms} ms, ${a.sent} bytes sent, ${a.received} received`);
          break;
        }
        case "callEnd":
          print(`${call.method}: ${codeName(event.code)} after ${event.attempts} attempt(s)`);
          break;
      }
    },
    tagConnection: (info) => ({ name: `${info.side} connection ${info.localAddress ?? "?"} -> ${info.peer}` }),
    handleConnection(connection: ConnectionTag, event) {
      print(`${connection.name}: ${event.type}`);
    },
  };
}
