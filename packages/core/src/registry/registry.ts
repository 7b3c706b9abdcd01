/**
 * One registry for every plug-in kind (resolvers, balancers, transports, codecs,
 * compressors): builders registered by name and looked up by name, as grpc-go's
 * balancer.Register and encoding.RegisterCodec do.
 */
import type * as z from "zod";

/** Anything registered by name. */
export interface Named {
  readonly name: string;
}

/** Builders of one kind, by name. Registering a name again replaces the earlier builder. */
export class Registry<B extends Named> {
  private readonly builders = new Map<string, B>();

  /** `kind` names what is registered ("resolver", "balancer", ...) in error messages. */
  constructor(readonly kind: string) {}

  register(builder: B): this {
    if (typeof builder?.name !== "string" || builder.name === "") {
      throw new TypeError(`a ${this.kind} must have a non-empty name to be registered`);
    }
    this.builders.set(builder.name, builder);
    return this;
  }

  get(name: string): B | undefined {
    return this.builders.get(name);
  }

  /** The builder registered as `name`; throws an Error saying what is missing otherwise. */
  mustGet(name: string): B {
    const builder = this.builders.get(name);
    if (builder === undefined) {
      throw new Error(`no ${this.kind} registered for "${name}" — install a package that provides one and register it`);
    }
    return builder;
  }

  has(name: string): boolean {
    return this.builders.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return Array.from(this.builders.keys());
  }
}

/** A builder that takes configuration, validated by its zod schema when configured. */
export interface ConfigurableBuilder<C = unknown> extends Named {
  readonly configSchema?: z.ZodType<C>;
}

/** The configuration type a builder accepts. */
export type BuilderConfig<B> = B extends ConfigurableBuilder<infer C> ? C : unknown;

/**
 * Validates `raw` with the builder's schema and returns the parsed config (defaults
 * applied); a builder without a schema gets `raw` as is. Throws an Error naming the
 * builder and each invalid path, e.g.
 * `invalid config for "weighted": at "weights[0]": Invalid input: expected number, received string`.
 */
export function parseBuilderConfig<B extends ConfigurableBuilder>(builder: B, raw: unknown): BuilderConfig<B> {
  const schema = builder.configSchema;
  if (schema === undefined) return raw as BuilderConfig<B>;
  const result = schema.safeParse(raw);
  if (result.success) return result.data as BuilderConfig<B>;
  const problems = result.error.issues.map((issue) => {
    const path = formatPath(issue.path);
    return path === "" ? issue.message : `at "${path}": ${issue.message}`;
  });
  throw new Error(`invalid config for "${builder.name}": ${problems.join("; ")}`, { cause: result.error });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}
