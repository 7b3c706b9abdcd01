import { describe, expect, it } from "vitest";
import { parseFlags, parsePort } from "../src/flags.js";
import { defaultTransportName, transportFor, transportNames } from "@grpckit/transport-choice";

const spec = { port: "string", use_tls: "boolean", test_case: "string", transport: "string" } as const;

describe("parseFlags", () => {
  it("reads --name=value and --name value alike", () => {
    expect(parseFlags(["--port=8080", "--test_case", "all"], spec)).toEqual({ port: "8080", test_case: "all" });
  });

  it("reads a bare boolean flag as true and --flag=true|false as given", () => {
    expect(parseFlags(["--use_tls"], spec)).toEqual({ use_tls: true });
    expect(parseFlags(["--use_tls=false"], spec)).toEqual({ use_tls: false });
    expect(parseFlags(["--use_tls=true"], spec)).toEqual({ use_tls: true });
  });

  it("reads a boolean followed by a separate true or false as that value", () => {
    expect(parseFlags(["--use_tls", "false", "--port=1"], spec)).toEqual({ use_tls: false, port: "1" });
  });

  it("accepts a single leading dash", () => {
    expect(parseFlags(["-port=9"], spec)).toEqual({ port: "9" });
  });

  it("keeps an empty value and values containing =", () => {
    expect(parseFlags(["--test_case=", "--port=a=b"], spec)).toEqual({ test_case: "", port: "a=b" });
  });

  it("rejects an unknown flag, a missing value and a non-boolean boolean", () => {
    expect(() => parseFlags(["--nope=1"], spec)).toThrow("unknown flag --nope");
    expect(() => parseFlags(["--port"], spec)).toThrow("flag --port needs a value");
    expect(() => parseFlags(["--use_tls=yes"], spec)).toThrow('flag --use_tls takes true or false, not "yes"');
    expect(() => parseFlags(["8080"], spec)).toThrow('unexpected argument "8080"');
  });
});

describe("parsePort", () => {
  it("takes 0 through 65535", () => {
    expect(parsePort("port", "0")).toBe(0);
    expect(parsePort("port", "65535")).toBe(65535);
  });

  it("rejects anything else, naming the flag", () => {
    expect(() => parsePort("server_port", "65536")).toThrow('flag --server_port takes a port number, not "65536"');
    expect(() => parsePort("port", "-1")).toThrow("takes a port number");
    expect(() => parsePort("port", "80a")).toThrow("takes a port number");
  });
});

describe("--transport", () => {
  it("is read as --transport=h2, --transport h2 and -transport=http2", () => {
    expect(parseFlags(["--transport=h2"], spec)).toEqual({ transport: "h2" });
    expect(parseFlags(["--transport", "h2", "--port=1"], spec)).toEqual({ transport: "h2", port: "1" });
    expect(parseFlags(["-transport=http2"], spec)).toEqual({ transport: "http2" });
  });

  it("names grpckit's own HTTP/2 transport as h2 and the node:http2 one as http2", () => {
    expect(transportNames).toEqual(["h2", "http2"]);
    expect(transportFor("h2").name).toBe("h2");
    expect(transportFor("http2").name).toBe("http2");
  });

  it("falls back to grpckit's own HTTP/2 transport (h2) when no name is given", () => {
    expect(defaultTransportName).toBe("h2");
    expect(transportFor(undefined).name).toBe("h2");
  });

  it("rejects an unknown name, an empty one and a differently cased one, listing the known names", () => {
    expect(() => transportFor("quic")).toThrow('unknown transport "quic" (known: h2, http2)');
    expect(() => transportFor("")).toThrow('unknown transport "" (known: h2, http2)');
    expect(() => transportFor("H2")).toThrow('unknown transport "H2" (known: h2, http2)');
    expect(() => transportFor("toString")).toThrow("unknown transport");
  });
});
