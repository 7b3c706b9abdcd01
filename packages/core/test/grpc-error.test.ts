import { createRegistry, create } from "@bufbuild/protobuf";
import { AnySchema, anyPack, DurationSchema, StringValueSchema, type Any } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { Code } from "../src/status/code.js";
import { GrpcError, codeFromNumber, codeName } from "../src/status/grpc-error.js";
import { Metadata } from "../src/metadata/metadata.js";

describe("GrpcError", () => {
  it("shows the code in snake lower case before the message", () => {
    const e = new GrpcError(Code.DEADLINE_EXCEEDED, "took too long");
    expect(e.message).toBe("[deadline_exceeded] took too long");
    expect(e.rawMessage).toBe("took too long");
    expect(e.code).toBe(Code.DEADLINE_EXCEEDED);
    expect(e.name).toBe("GrpcError");
    expect(e).toBeInstanceOf(Error);
    expect(String(e)).toBe("GrpcError: [deadline_exceeded] took too long");
  });

  it("has only the code in its message when the status message is empty", () => {
    const e = new GrpcError(Code.NOT_FOUND);
    expect(e.message).toBe("[not_found]");
    expect(e.rawMessage).toBe("");
  });

  it("starts with no details and empty trailing metadata", () => {
    const e = new GrpcError(Code.INTERNAL, "x");
    expect(e.details).toEqual([]);
    expect(e.metadata).toBeInstanceOf(Metadata);
    expect(e.metadata.size).toBe(0);
  });

  it("keeps the details, metadata and cause it is given", () => {
    const md = new Metadata({ "x-retry": "no" });
    const detail = anyPack(StringValueSchema, create(StringValueSchema, { value: "why" }));
    const cause = new Error("root");
    const e = new GrpcError(Code.ABORTED, "conflict", { details: [detail], metadata: md, cause });
    expect(e.details).toEqual([detail]);
    expect(e.metadata).toBe(md);
    expect(e.cause).toBe(cause);
  });

  it("has no cause property unless one is given", () => {
    expect("cause" in new GrpcError(Code.UNKNOWN, "x")).toBe(false);
  });

  it("names an out-of-range code by its number", () => {
    expect(new GrpcError(42 as Code, "odd").message).toBe("[code_42] odd");
  });
});

describe("codeName and codeFromNumber", () => {
  it("names every code as doc/statuscodes.md spells it", () => {
    expect(codeName(Code.OK)).toBe("OK");
    expect(codeName(Code.DEADLINE_EXCEEDED)).toBe("DEADLINE_EXCEEDED");
    expect(codeName(Code.UNAUTHENTICATED)).toBe("UNAUTHENTICATED");
    for (let n = 0; n <= 16; n++) expect(codeName(n as Code)).toBe(Code[n]);
  });

  it("maps every wire number 0..16 to its code", () => {
    for (let n = 0; n <= 16; n++) expect(codeFromNumber(n)).toBe(n);
  });

  it("maps unknown numbers to UNKNOWN", () => {
    expect(codeFromNumber(17)).toBe(Code.UNKNOWN);
    expect(codeFromNumber(-1)).toBe(Code.UNKNOWN);
    expect(codeFromNumber(1.5)).toBe(Code.UNKNOWN);
    expect(codeFromNumber(Number.NaN)).toBe(Code.UNKNOWN);
  });
});

describe("GrpcError.from", () => {
  it("returns a GrpcError unchanged", () => {
    const e = new GrpcError(Code.PERMISSION_DENIED, "no");
    expect(GrpcError.from(e)).toBe(e);
  });

  it("passes through a GrpcError given as an abort reason", () => {
    const reason = new GrpcError(Code.DEADLINE_EXCEEDED, "deadline");
    const controller = new AbortController();
    controller.abort(reason);
    expect(GrpcError.from(controller.signal.reason, Code.CANCELLED)).toBe(reason);
  });

  it("turns a plain abort into CANCELLED", () => {
    const controller = new AbortController();
    controller.abort();
    const e = GrpcError.from(controller.signal.reason);
    expect(e.code).toBe(Code.CANCELLED);
    expect(e.cause).toBe(controller.signal.reason);
  });

  it("turns any error named AbortError into CANCELLED", () => {
    const abort = Object.assign(new Error("stopped"), { name: "AbortError" });
    const e = GrpcError.from(abort, Code.INTERNAL);
    expect(e.code).toBe(Code.CANCELLED);
    expect(e.rawMessage).toBe("stopped");
  });

  it("turns an AbortSignal.timeout abort into DEADLINE_EXCEEDED", async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    expect(GrpcError.from(signal.reason).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it("turns another error into the fallback code with its message and no stack", () => {
    const err = new TypeError("bad thing");
    const e = GrpcError.from(err, Code.INTERNAL);
    expect(e.code).toBe(Code.INTERNAL);
    expect(e.rawMessage).toBe("bad thing");
    expect(e.message).not.toContain(" at ");
    expect(e.cause).toBe(err);
  });

  it("uses UNKNOWN when no fallback code is given", () => {
    expect(GrpcError.from(new Error("x")).code).toBe(Code.UNKNOWN);
  });

  it("uses a thrown string as the message", () => {
    const e = GrpcError.from("plain text", Code.UNAVAILABLE);
    expect(e.code).toBe(Code.UNAVAILABLE);
    expect(e.rawMessage).toBe("plain text");
  });

  it("describes other thrown values without failing", () => {
    expect(GrpcError.from(42).rawMessage).toBe("42");
    expect(GrpcError.from(undefined).rawMessage).toBe("");
    expect(GrpcError.from(null).rawMessage).toBe("null");
    expect(GrpcError.from({ weird: true }).rawMessage).toBe("");
  });
});

describe("GrpcError.findDetails", () => {
  const duration = create(DurationSchema, { seconds: 3n, nanos: 5 });
  const text = create(StringValueSchema, { value: "retry later" });
  const details: Any[] = [anyPack(DurationSchema, duration), anyPack(StringValueSchema, text)];

  it("unpacks the details of the asked type and skips the others", () => {
    const e = new GrpcError(Code.UNAVAILABLE, "busy", { details });
    const found = e.findDetails(DurationSchema);
    expect(found).toHaveLength(1);
    expect(found[0].seconds).toBe(3n);
    expect(found[0].nanos).toBe(5);
  });

  it("returns every detail whose type the registry knows", () => {
    const e = new GrpcError(Code.UNAVAILABLE, "busy", { details });
    const found = e.findDetails(createRegistry(StringValueSchema));
    expect(found).toHaveLength(1);
    expect(found[0].$typeName).toBe("google.protobuf.StringValue");
  });

  it("returns nothing when there are no details of that type", () => {
    expect(new GrpcError(Code.UNAVAILABLE, "busy").findDetails(DurationSchema)).toEqual([]);
  });

  it("skips a detail whose bytes do not parse", () => {
    const broken = create(AnySchema, {
      typeUrl: "type.googleapis.com/google.protobuf.Duration",
      value: new Uint8Array([0x08]),
    });
    const e = new GrpcError(Code.UNAVAILABLE, "busy", { details: [broken, details[0]] });
    expect(e.findDetails(DurationSchema)).toHaveLength(1);
  });
});

describe("GrpcError.is and instanceof", () => {
  class QuotaError extends GrpcError {
    constructor() {
      super(Code.RESOURCE_EXHAUSTED, "quota spent");
    }
  }

  it("recognise a GrpcError and its subclasses, and nothing that merely looks like one", () => {
    const plain = new GrpcError(Code.NOT_FOUND, "gone");
    const quota = new QuotaError();
    expect(GrpcError.is(plain)).toBe(true);
    expect(GrpcError.is(quota)).toBe(true);
    expect(plain instanceof GrpcError).toBe(true);
    expect(quota instanceof GrpcError).toBe(true);
    expect(plain instanceof Error).toBe(true);
    for (const lookalike of [new Error("[not_found] gone"), { code: Code.NOT_FOUND, message: "gone", name: "GrpcError" }, null, undefined, 5, "GrpcError"]) {
      expect(GrpcError.is(lookalike)).toBe(false);
      expect(lookalike instanceof GrpcError).toBe(false);
    }
  });

  it("keeps the ordinary prototype test for a subclass", () => {
    expect(new QuotaError() instanceof QuotaError).toBe(true);
    expect(new GrpcError(Code.RESOURCE_EXHAUSTED) instanceof QuotaError).toBe(false);
    expect(GrpcError.prototype.isPrototypeOf(new QuotaError())).toBe(true);
  });

  it("recognise a GrpcError of another copy of core by the brand every copy puts on its GrpcErrors", () => {
    // What another copy's GrpcError looks like to this one: its own class, carrying the same Symbol.for brand.
    class OtherCopyError extends Error {
      readonly code = Code.NOT_FOUND;
    }
    Object.defineProperty(OtherCopyError.prototype, Symbol.for("@grpckit/core/GrpcError"), { value: true });
    const foreign = new OtherCopyError("gone");
    expect(foreign instanceof GrpcError).toBe(true);
    expect(GrpcError.is(foreign)).toBe(true);
    expect(GrpcError.from(foreign)).toBe(foreign);
  });
});
