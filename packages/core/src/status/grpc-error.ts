/**
 * The one error class of grpckit: a gRPC status (code, message, typed details) and the
 * trailing metadata that came with it. Every failure that reaches a caller is one.
 */
import type { DescMessage, Message, MessageShape, Registry as TypeRegistry } from "@bufbuild/protobuf";
import { anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { Code } from "./code.js";
import { Metadata } from "../metadata/metadata.js";

const upperNames: string[] = [];
const lowerNames: string[] = [];
for (const [name, value] of Object.entries(Code)) {
  if (typeof value === "number") {
    upperNames[value] = name;
    lowerNames[value] = name.toLowerCase();
  }
}

/** The name of a status code as doc/statuscodes.md spells it: "DEADLINE_EXCEEDED". */
export function codeName(code: Code): string {
  return upperNames[code] ?? `CODE_${code}`;
}

/** The code for a `grpc-status` number; numbers outside the known codes become UNKNOWN. */
export function codeFromNumber(n: number): Code {
  return Number.isInteger(n) && upperNames[n] !== undefined ? (n as Code) : Code.UNKNOWN;
}

/** Options of {@link GrpcError}. */
export interface GrpcErrorOptions {
  /** Typed error details (google.rpc.Status details), sent in `grpc-status-details-bin`. */
  details?: Any[];
  /** Trailing metadata sent or received with the status. */
  metadata?: Metadata;
  /** The underlying error, kept for logs; never sent to the peer. */
  cause?: unknown;
}

/**
 * Marks every GrpcError, whichever copy of @grpckit/core in the process made it (the
 * same key in every copy), so an error thrown by a plug-in's copy is recognised by the
 * application's copy instead of becoming UNKNOWN.
 */
const grpcErrorBrand: unique symbol = Symbol.for("@grpckit/core/GrpcError");

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * A gRPC status as an error. `message` reads "[deadline_exceeded] took too long" so a
 * log shows the code; `rawMessage` is the text alone, as carried in `grpc-message`.
 *
 * ```ts
 * throw new GrpcError(Code.NOT_FOUND, `no user ${id}`);
 * ```
 *
 * `e instanceof GrpcError` and {@link GrpcError.is} are true also for a GrpcError made
 * by another copy of @grpckit/core loaded in the same process.
 */
export class GrpcError extends Error {
  static {
    Object.defineProperty(this.prototype, grpcErrorBrand, { value: true });
  }

  /** Whether `value` is a GrpcError, made by this or any other copy of @grpckit/core. */
  static is(value: unknown): value is GrpcError {
    return typeof value === "object" && value !== null && (value as { [grpcErrorBrand]?: unknown })[grpcErrorBrand] === true;
  }

  /**
   * `instanceof GrpcError` honours the brand every copy of core puts on its GrpcErrors;
   * `instanceof` a subclass keeps the ordinary prototype test.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return this === GrpcError ? GrpcError.is(value) : ordinaryHasInstance.call(this, value);
  }

  override readonly name = "GrpcError";
  /** The status code. */
  readonly code: Code;
  /** The status message as sent on the wire, without the code prefix. */
  readonly rawMessage: string;
  /** Typed details, as google.protobuf.Any; read them with {@link GrpcError.findDetails}. */
  readonly details: Any[];
  /** Trailing metadata. */
  readonly metadata: Metadata;

  constructor(code: Code, message = "", options?: GrpcErrorOptions) {
    const prefix = `[${lowerNames[code] ?? `code_${code}`}]`;
    super(message === "" ? prefix : `${prefix} ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.rawMessage = message;
    this.details = options?.details ?? [];
    this.metadata = options?.metadata ?? new Metadata();
  }

  /**
   * Converts anything thrown into a GrpcError: a GrpcError is returned as is (also when
   * it is an AbortSignal's reason), an abort becomes CANCELLED, a timeout abort
   * (`AbortSignal.timeout`) DEADLINE_EXCEEDED, and anything else `fallbackCode` with
   * the error's message. The original value is kept as `cause`; its stack never
   * becomes part of the message.
   */
  static from(reason: unknown, fallbackCode: Code = Code.UNKNOWN): GrpcError {
    if (reason instanceof GrpcError) return reason;
    const name = errorName(reason);
    if (name === "AbortError") return new GrpcError(Code.CANCELLED, messageOf(reason, "the operation was aborted"), { cause: reason });
    if (name === "TimeoutError") return new GrpcError(Code.DEADLINE_EXCEEDED, messageOf(reason, "the operation timed out"), { cause: reason });
    return new GrpcError(fallbackCode, messageOf(reason, ""), { cause: reason });
  }

  /** The details of type `schema`, unpacked; details of other types are skipped. */
  findDetails<Desc extends DescMessage>(schema: Desc): MessageShape<Desc>[];
  /** Every detail whose type `registry` knows, unpacked. */
  findDetails(registry: TypeRegistry): Message[];
  findDetails(schemaOrRegistry: DescMessage | TypeRegistry): Message[] {
    const found: Message[] = [];
    for (const any of this.details) {
      let message: Message | undefined;
      try {
        message =
          schemaOrRegistry.kind === "message" ? anyUnpack(any, schemaOrRegistry) : anyUnpack(any, schemaOrRegistry);
      } catch {
        continue;
      }
      if (message !== undefined) found.push(message);
    }
    return found;
  }
}

function errorName(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const name = (value as { name?: unknown }).name;
  return typeof name === "string" ? name : undefined;
}

function messageOf(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    const message = (value as { message?: unknown }).message;
    if (typeof message === "string") return message !== "" ? message : fallback;
    return fallback;
  }
  if (value === undefined) return fallback;
  return String(value);
}
