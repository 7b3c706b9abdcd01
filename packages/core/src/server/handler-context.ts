/** What a server handler knows of its call and can do besides returning messages. */
import type { DescMethod } from "@bufbuild/protobuf";
import { Metadata } from "../metadata/metadata.js";
import type { Peer } from "../transport/transport.js";

export interface HandlerContext {
  /** The request's custom metadata. */
  readonly metadata: Metadata;
  /** The call's deadline in ms since the epoch, from grpc-timeout; undefined when none. */
  readonly deadline: number | undefined;
  /** Fires when the call ends early: deadline, client cancel, connection loss, or server shutdown. */
  readonly signal: AbortSignal;
  /** Who called: address and the handshake's AuthInfo. */
  readonly peer: Peer;
  /** The method descriptor, and its path "/package.Service/Method". */
  readonly method: DescMethod;
  readonly path: string;
  /** Metadata sent with the response headers (before the first message, or at sendHeader). */
  readonly responseHeader: Metadata;
  /** Metadata sent with the trailers. */
  readonly responseTrailer: Metadata;
  /** Sends the response headers now, with `metadata` merged into responseHeader. */
  sendHeader(metadata?: Metadata): void;
  /** Compress responses with this encoding if the client accepts it ("identity" turns it off). */
  setCompression(encoding: string): void;
  /** Milliseconds left before the deadline; Infinity when there is none. */
  timeRemaining(): number;
}
