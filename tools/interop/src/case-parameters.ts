/**
 * The fixed sizes, metadata and status texts of the interop test cases
 * (grpc/grpc doc/interop-test-descriptions.md), shared by every client and server
 * implementation in this package so each number is written once.
 */

/** Every client test case, in the order `--test_case=all` runs them. */
export const testCaseNames = [
  "empty_unary",
  "large_unary",
  "client_streaming",
  "server_streaming",
  "ping_pong",
  "empty_stream",
  "custom_metadata",
  "status_code_and_message",
  "special_status_message",
  "unimplemented_method",
  "unimplemented_service",
  "cancel_after_begin",
  "cancel_after_first_response",
  "timeout_on_sleeping_server",
  "client_compressed_unary",
  "server_compressed_unary",
  "client_compressed_streaming",
  "server_compressed_streaming",
] as const;

/** The name of one client test case. */
export type TestCaseName = (typeof testCaseNames)[number];

/** True when `name` is one of {@link testCaseNames}. */
export function isTestCaseName(name: string): name is TestCaseName {
  return (testCaseNames as readonly string[]).includes(name);
}

/** Payload body sent by large_unary, custom_metadata and the compressed unary cases. */
export const largeRequestSize = 271_828;
/** Payload body asked of the server by the same cases. */
export const largeResponseSize = 314_159;

/** Request payload bodies of client_streaming and ping_pong, in order. */
export const streamingRequestSizes: readonly number[] = [27_182, 8, 1_828, 45_904];
/** Sum of {@link streamingRequestSizes}: client_streaming's aggregated_payload_size. */
export const streamingAggregateSize = 74_922;
/** Response payload bodies of server_streaming and ping_pong, in order. */
export const streamingResponseSizes: readonly number[] = [31_415, 9, 2_653, 58_979];

/** client_compressed_streaming: the compressed message's body, then the uncompressed one's. */
export const compressedStreamingRequestSizes: readonly [number, number] = [27_182, 45_904];
/** Sum of {@link compressedStreamingRequestSizes}. */
export const compressedStreamingAggregateSize = 73_086;
/** server_compressed_streaming: the compressed response's body, then the uncompressed one's. */
export const compressedStreamingResponseSizes: readonly [number, number] = [31_415, 92_653];

/** cancel_after_first_response: the request body and the response body asked. */
export const cancelRequestSize = 27_182;
export const cancelResponseSize = 31_415;

/** timeout_on_sleeping_server: the request body and the call's timeout. */
export const sleepingServerRequestSize = 27_182;
export const sleepingServerTimeoutMs = 1;

/** Request metadata a server copies into its response headers. */
export const echoInitialKey = "x-grpc-test-echo-initial";
export const echoInitialValue = "test_initial_metadata_value";
/** Request metadata a server copies into its trailers. */
export const echoTrailingKey = "x-grpc-test-echo-trailing-bin";
export const echoTrailingValue: Uint8Array = Uint8Array.of(0xab, 0xab, 0xab);

/** status_code_and_message: the status the client asks the server to end with. */
export const testStatusCode = 2;
export const testStatusMessage = "test status message";
/** special_status_message: a status message with whitespace, a BMP and a non-BMP character. */
export const specialStatusMessage = "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \u{1F608}\t\n";

/** `size` zero bytes: the payload body every case sends and expects. */
export function zeros(size: number): Uint8Array {
  return new Uint8Array(size);
}

/** True when every byte of `bytes` is zero. */
export function isAllZeros(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** True when `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lowercase hex of `bytes`, for failure messages. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
