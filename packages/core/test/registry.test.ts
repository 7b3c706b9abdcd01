import { describe, expect, expectTypeOf, it } from "vitest";
import * as z from "zod";
import { Registry, parseBuilderConfig, type ConfigurableBuilder } from "../src/registry/registry.js";
import { resolveTransport } from "../src/registries.js";

interface Thing {
  readonly name: string;
  readonly version: number;
}

describe("Registry", () => {
  it("looks up a registered builder by name", () => {
    const a: Thing = { name: "a", version: 1 };
    const r = new Registry<Thing>("thing").register(a);
    expect(r.get("a")).toBe(a);
    expect(r.mustGet("a")).toBe(a);
    expect(r.has("a")).toBe(true);
  });

  it("returns undefined for an unknown name from get", () => {
    const r = new Registry<Thing>("thing");
    expect(r.get("nope")).toBeUndefined();
    expect(r.has("nope")).toBe(false);
  });

  it("throws an error naming the kind and the missing name from mustGet", () => {
    const r = new Registry<Thing>("balancer");
    expect(() => r.mustGet("round_robin")).toThrow(
      new Error(`no balancer registered for "round_robin" — install a package that provides one and register it`),
    );
  });

  it("replaces a builder registered again under the same name", () => {
    const r = new Registry<Thing>("thing").register({ name: "a", version: 1 }).register({ name: "a", version: 2 });
    expect(r.mustGet("a").version).toBe(2);
    expect(r.names()).toEqual(["a"]);
  });

  it("lists names in registration order", () => {
    const r = new Registry<Thing>("thing");
    for (const name of ["gzip", "identity", "deflate"]) r.register({ name, version: 0 });
    expect(r.names()).toEqual(["gzip", "identity", "deflate"]);
  });

  it("keeps registries independent of each other", () => {
    const one = new Registry<Thing>("thing").register({ name: "a", version: 1 });
    const two = new Registry<Thing>("thing");
    expect(two.has("a")).toBe(false);
    expect(one.has("a")).toBe(true);
  });

  it("refuses a builder without a name", () => {
    expect(() => new Registry<Thing>("codec").register({ name: "", version: 1 })).toThrow(/a codec must have a non-empty name/);
  });

  it("exposes its kind", () => {
    expect(new Registry<Thing>("resolver").kind).toBe("resolver");
  });
});

describe("parseBuilderConfig", () => {
  const weighted = {
    name: "weighted",
    configSchema: z.object({
      weights: z.array(z.number()),
      child: z.object({ policy: z.string() }).optional(),
      retries: z.number().int().default(3),
    }),
  } satisfies ConfigurableBuilder;

  it("returns the parsed config with defaults applied", () => {
    const config = parseBuilderConfig(weighted, { weights: [1, 2] });
    expect(config).toEqual({ weights: [1, 2], retries: 3 });
    expectTypeOf(config.retries).toEqualTypeOf<number>();
  });

  it("names the builder and every invalid path", () => {
    let message = "";
    try {
      parseBuilderConfig(weighted, { weights: [1, "x"], child: { policy: 7 } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^invalid config for "weighted": /);
    expect(message).toContain('at "weights[1]":');
    expect(message).toContain('at "child.policy":');
  });

  it("reports a config of the wrong shape altogether", () => {
    expect(() => parseBuilderConfig(weighted, "nope")).toThrow(/^invalid config for "weighted": .*expected object/);
  });

  it("passes the config through when the builder has no schema", () => {
    const raw = { anything: true };
    expect(parseBuilderConfig({ name: "plain" }, raw)).toBe(raw);
  });
});

describe("resolveTransport", () => {
  it("with no transport given or registered, throws an error suggesting h2Transport() from @grpckit/transport-h2", () => {
    expect(() => resolveTransport(undefined)).toThrow(
      new Error(
        "no transport registered: pass { transport: h2Transport() } from @grpckit/transport-h2, or call registerTransport() once",
      ),
    );
  });
});
