/**
 * What the browser page and the Node side of the browser tests agree on: the metadata
 * names the handlers read and write, the values sent, and the shape of the results a
 * page run hands back. Imported by both sides, so it uses nothing of Node's.
 */

/** A request header the handler reads and answers in {@link echoHeader}. */
export const greetingHeader = "x-browser-greeting";
/** A binary request header; the handler answers its bytes reversed in {@link echoTrailerBin}. */
export const greetingBinHeader = "x-browser-greeting-bin";
/** A response header the handler sets from what it read. */
export const echoHeader = "x-browser-echo";
/** A response trailer the handler sets after the message. */
export const echoTrailer = "x-browser-trailer";
/** A binary response trailer: the bytes of {@link greetingBinHeader}, reversed. */
export const echoTrailerBin = "x-browser-trailer-bin";

/** Every custom name a browser sends, for CORS's allowed headers. */
export const requestHeaderNames = [greetingHeader, greetingBinHeader];
/** Every custom name a browser must read, for CORS's exposed headers (Connect unary sends trailers as "trailer-" headers). */
export const responseHeaderNames = [echoHeader, echoTrailer, echoTrailerBin, `trailer-${echoTrailer}`, `trailer-${echoTrailerBin}`];

/** The greeting the page sends, with a character beyond ASCII left out: header values are ASCII. */
export const greeting = "hello from the browser";
/** Bytes the page sends in the binary header: a zero byte and bytes that are not UTF-8. */
export const greetingBytes = [0, 1, 0x7f, 0x80, 0xfe, 0xff];
/** The bytes of the unary request's payload; the handler answers each plus one. */
export const unaryPayload = [1, 2, 3, 250];
/** The sizes the server-streaming request asks for, one response each. */
export const streamSizes = [1, 10, 100, 1000, 5];
/** The error the error case asks for (FAILED_PRECONDITION), and its message with a character that needs percent-encoding. */
export const errorCode = 9;
export const errorMessage = "the thing is not ready: ü 100%";
/** The deadline the deadline case sets; the handler never answers before it. */
export const deadlineMs = 300;

/** The clients and wire formats a page run can use. */
export type PageClient =
  | { readonly name: "connect-web"; readonly protocol: "grpc-web" | "connect"; readonly binary: boolean }
  | { readonly name: "grpc-web"; readonly mode: "grpcweb" | "grpcwebtext" };

/** What the page is asked to do: call the server at `baseUrl` with `client`. */
export interface PageRun {
  readonly baseUrl: string;
  readonly client: PageClient;
}

/** One case's outcome: what it observed, or the error that stopped it. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface CaseResults {
  /** The page's own origin, so the test can check the calls were cross-origin. */
  readonly pageOrigin: string;
  readonly unary: Outcome<{ body: number[] }>;
  readonly serverStreaming: Outcome<{ sizes: number[]; code: number }>;
  readonly errorDetails: Outcome<{ code: number; message: string; badRequestFields: string[]; errorInfoReason: string; errorInfoDomain: string }>;
  readonly deadline: Outcome<{ code: number }>;
  readonly metadata: Outcome<{ header: string | null; trailer: string | null; trailerBin: number[] | null }>;
}
