/**
 * Per-message compression marks. A call that compresses sends every message
 * compressed unless the message was passed through `sendUncompressed`; a received
 * message that arrived compressed answers true to `wasCompressed`.
 */
import { processWide } from "../registry/process-state.js";

// Shared by every copy of core in the process: a message marked through one copy is
// sent by a call of another.
const { uncompressed, compressed } = processWide("message-marks", () => ({
  uncompressed: new WeakSet<object>(),
  compressed: new WeakSet<object>(),
}));

/** Marks `message` to be sent with the compressed flag off, even on a compressing call. */
export function sendUncompressed<T extends object>(message: T): T {
  uncompressed.add(message);
  return message;
}

/** True when `message` arrived with the compressed flag set. */
export function wasCompressed(message: object): boolean {
  return compressed.has(message);
}

/** @internal */
export function isMarkedUncompressed(message: object): boolean {
  return uncompressed.has(message);
}

/** @internal */
export function markReceivedCompressed(message: object): void {
  compressed.add(message);
}
