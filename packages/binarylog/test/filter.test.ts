import { describe, expect, it } from "vitest";
import { BinaryLogFilterError, binaryLogFromEnvironment, parseBinaryLogFilter } from "../src/index.js";

const all = { headerBytes: Infinity, messageBytes: Infinity };

describe("GRPC_BINARY_LOG_FILTER", () => {
  it("* logs every method in full", () => {
    const f = parseBinaryLogFilter("*");
    expect(f.limitsFor("/a.B/C")).toEqual(all);
    expect(f.limitsFor("x.Y/Z")).toEqual(all);
  });

  it("a service's /* logs its methods only, and a method entry that method only", () => {
    const f = parseBinaryLogFilter("pkg.Svc/*,other.Svc/Get");
    expect(f.limitsFor("/pkg.Svc/Any")).toEqual(all);
    expect(f.limitsFor("/other.Svc/Get")).toEqual(all);
    expect(f.limitsFor("/other.Svc/Put")).toBeUndefined();
    expect(f.limitsFor("/pkg.Svc2/Any")).toBeUndefined();
  });

  it("an exclusion wins over *, the service and everything else", () => {
    const f = parseBinaryLogFilter("*,pkg.Svc/*,-pkg.Svc/Secret");
    expect(f.limitsFor("/pkg.Svc/Secret")).toBeUndefined();
    expect(f.limitsFor("/pkg.Svc/Open")).toEqual(all);
    expect(f.limitsFor("/x.Y/Z")).toEqual(all);
  });

  it("the method's own entry wins over its service's, which wins over *", () => {
    const f = parseBinaryLogFilter("*{h:1},pkg.Svc/*{m:2},pkg.Svc/Big{h:3;m:4}");
    expect(f.limitsFor("/x.Y/Z")).toEqual({ headerBytes: 1, messageBytes: 0 });
    expect(f.limitsFor("/pkg.Svc/Small")).toEqual({ headerBytes: 0, messageBytes: 2 });
    expect(f.limitsFor("/pkg.Svc/Big")).toEqual({ headerBytes: 3, messageBytes: 4 });
  });

  it("reads {h}, {m}, {h:N}, {m:M}, {h:N;m:M} and {h;m} as A16 defines them", () => {
    const limits = (suffix: string) => parseBinaryLogFilter(`a.B/C${suffix}`).limitsFor("a.B/C");
    expect(limits("")).toEqual(all);
    expect(limits("{h}")).toEqual({ headerBytes: Infinity, messageBytes: 0 });
    expect(limits("{m}")).toEqual({ headerBytes: 0, messageBytes: Infinity });
    expect(limits("{h:256}")).toEqual({ headerBytes: 256, messageBytes: 0 });
    expect(limits("{m:512}")).toEqual({ headerBytes: 0, messageBytes: 512 });
    expect(limits("{h:256;m:512}")).toEqual({ headerBytes: 256, messageBytes: 512 });
    expect(limits("{h;m}")).toEqual(all);
    expect(limits("{h:0;m:0}")).toEqual({ headerBytes: 0, messageBytes: 0 });
  });

  it.each([
    ["", /empty; write \* to log every method/],
    ["*,", /has an empty entry/],
    ["*,*", /has \* twice/],
    ["a.B/*,a.B/*", /names a\.B\/\* twice/],
    ["a.B/C,-a.B/C", /names a\.B\/C twice/],
    ["-a.B/*", /exclusion names one method, not a whole service/],
    ["-a.B/C{h:1}", /an exclusion takes no limits/],
    ["-*", /an exclusion names one method/],
    ["a.B", /"a\.B" is not \*, package\.Service\/\* or package\.Service\/Method/],
    ["a.B/C{h:x}", /"\{h:x\}" is not a limit; write \{h:N\}, \{m:M\} or \{h:N;m:M\}/],
    ["a.B/C{m:1;h:1}", /is not a limit/],
    ["*{h:99999999999999999999}", /the limit 99999999999999999999 is too large/],
  ])("refuses %j, saying why", (text, why) => {
    expect(() => parseBinaryLogFilter(text)).toThrow(BinaryLogFilterError);
    expect(() => parseBinaryLogFilter(text)).toThrow(why);
  });

  it("binaryLogFromEnvironment logs nothing when the variable is unset, and names it when its value is wrong", () => {
    const sink = { write: () => {} };
    expect(binaryLogFromEnvironment(sink, {})).toBeUndefined();
    expect(binaryLogFromEnvironment(sink, { GRPC_BINARY_LOG_FILTER: "*" })).toBeDefined();
    expect(() => binaryLogFromEnvironment(sink, { GRPC_BINARY_LOG_FILTER: "a.B/C{x}" })).toThrow(/^GRPC_BINARY_LOG_FILTER: binary log filter entry "a\.B\/C\{x\}"/);
  });
});
