/** Options of one client call. */
import type { CallCredentials } from "../credentials/call-credentials.js";
import type { Metadata } from "../metadata/metadata.js";

export interface CallOptions {
  /** Milliseconds the call may take; sent to the server as grpc-timeout. */
  timeoutMs?: number;
  /** Absolute deadline (ms since the epoch, or a Date); the earlier of this and timeoutMs wins. */
  deadline?: number | Date;
  /** Cancels the call when aborted; the call ends with CANCELLED. */
  signal?: AbortSignal;
  /** Request metadata sent as headers. */
  metadata?: Metadata;
  /** Called with the response headers' metadata when they arrive. */
  onHeader?: (metadata: Metadata) => void;
  /** Called with the trailing metadata when the call ends (also on error). */
  onTrailer?: (metadata: Metadata) => void;
  /** Compress the request messages with this registered encoding ("gzip", "deflate", "identity"). */
  compression?: string;
  /** Wait for the channel to be ready instead of failing fast when it is in TRANSIENT_FAILURE. */
  waitForReady?: boolean;
  /** Largest response message accepted, in bytes (overrides the channel's). */
  maxReceiveMessageBytes?: number;
  /** Largest request message sent, in bytes (overrides the channel's). */
  maxSendMessageBytes?: number;
  /** Credentials for this call, in place of the channel's. */
  callCredentials?: CallCredentials;
  /**
   * The server call this call is made for (a handler's context): the call inherits
   * its deadline, when earlier than its own, and ends when it is cancelled.
   */
  parent?: { readonly deadline: number | undefined; readonly signal: AbortSignal };
}

/** The deadline of a call in ms since the epoch, or undefined. */
export function callDeadline(opts: CallOptions | undefined, now = Date.now()): number | undefined {
  if (opts === undefined) return undefined;
  let deadline: number | undefined;
  if (opts.timeoutMs !== undefined) deadline = now + opts.timeoutMs;
  if (opts.deadline !== undefined) {
    const d = typeof opts.deadline === "number" ? opts.deadline : opts.deadline.getTime();
    deadline = deadline === undefined ? d : Math.min(deadline, d);
  }
  const inherited = opts.parent?.deadline;
  if (inherited !== undefined) deadline = deadline === undefined ? inherited : Math.min(deadline, inherited);
  return deadline;
}

/** The signal that cancels a call: its own, its parent's, or either. */
export function callSignal(opts: CallOptions | undefined): AbortSignal | undefined {
  const own = opts?.signal;
  const parent = opts?.parent?.signal;
  if (parent === undefined) return own;
  return own === undefined ? parent : AbortSignal.any([own, parent]);
}
