import { describe, expect, it } from "vitest";
import { defaultOptions, parseOptions } from "../src/soak-options.js";

describe("the soak's --transport option", () => {
  it("defaults to grpckit's own HTTP/2 (h2)", () => {
    expect(parseOptions([]).transport).toBe("h2");
    expect(defaultOptions.transport).toBe("h2");
  });

  it("takes h2 and http2, written --transport=NAME or --transport NAME", () => {
    expect(parseOptions(["--transport=h2"]).transport).toBe("h2");
    expect(parseOptions(["--transport", "h2"]).transport).toBe("h2");
    expect(parseOptions(["--transport=http2"]).transport).toBe("http2");
  });

  it("refuses any other name, listing the ones it takes", () => {
    expect(() => parseOptions(["--transport=http3"])).toThrow(/--transport wants h2 or http2, not "http3"/);
    expect(() => parseOptions(["--transport="])).toThrow(/--transport wants h2 or http2, not ""/);
    expect(() => parseOptions(["--transport"])).toThrow(/--transport needs a value/);
  });

  it("is listed in the usage text", () => {
    expect(() => parseOptions(["--help"])).toThrow(/--transport NAME .*h2 or http2 \(default h2\)/);
  });
});

describe("--option=value", () => {
  it("works for every option, mixed with --option value", () => {
    const options = parseOptions(["--calls=500", "--streams", "20", "--max-seconds=2.5", "--out=/tmp/x=y", "--transport=h2"]);
    expect(options).toMatchObject({ calls: 500, streams: 20, maxSeconds: 2.5, outDir: "/tmp/x=y", transport: "h2" });
  });

  it("checks the value as --option value does", () => {
    expect(() => parseOptions(["--calls=0"])).toThrow(/--calls wants an integer >= 1, not "0"/);
    expect(() => parseOptions(["--nope=1"])).toThrow(/unknown option --nope/);
  });
});
