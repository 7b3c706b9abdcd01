/**
 * Command-line flags as gRPC's interop binaries take them: `--name=value`,
 * `--name value`, and for booleans a bare `--name` or `--name=true|false`.
 * One leading dash works too, as in Go's flag package.
 */

/** The kind of value a flag takes. */
export type FlagKind = "string" | "boolean";

/** The parsed flags of a spec: only flags that were given are present. */
export type FlagValues<S extends Record<string, FlagKind>> = {
  [K in keyof S]?: S[K] extends "boolean" ? boolean : string;
};

/** Parses `argv` (without node and the script) against `spec`; throws an Error naming a bad flag. */
export function parseFlags<S extends Record<string, FlagKind>>(argv: readonly string[], spec: S): FlagValues<S> {
  const values: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--?([A-Za-z0-9_-]+)(?:=([\s\S]*))?$/.exec(arg);
    if (m === null) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1];
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) throw new Error(`unknown flag --${name}`);
    let value: string | undefined = m[2];
    if (kind === "boolean") {
      if (value === undefined && (argv[i + 1] === "true" || argv[i + 1] === "false")) value = argv[++i];
      if (value === undefined || value === "true") values[name] = true;
      else if (value === "false") values[name] = false;
      else throw new Error(`flag --${name} takes true or false, not ${JSON.stringify(value)}`);
    } else {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new Error(`flag --${name} needs a value`);
        value = argv[++i];
      }
      values[name] = value;
    }
  }
  return values as FlagValues<S>;
}

/** Parses a port number flag: an integer from 0 to 65535. */
export function parsePort(name: string, value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`flag --${name} takes a port number, not ${JSON.stringify(value)}`);
  return port;
}
