/**
 * Resolvers for unix domain socket targets: `unix:path`, `unix:///absolute/path` and
 * `unix-abstract:name`, as doc/naming.md describes them.
 */
import type { ResolverBuilder } from "./resolver.js";
import type { Target } from "./target.js";

function fixedResolver(scheme: string, toAddr: (t: Target) => string): ResolverBuilder {
  return {
    name: scheme,
    build(target, cc) {
      let closed = false;
      queueMicrotask(() => {
        if (!closed) cc.updateState({ endpoints: [{ addresses: [{ addr: toAddr(target) }] }] });
      });
      return {
        resolveNow() {},
        close() {
          closed = true;
        },
      };
    },
    defaultAuthority: () => "localhost",
  };
}

/** Joins what parseTarget split: "unix:///tmp/s" has an empty authority and endpoint "tmp/s". */
function pathOf(t: Target): string {
  const afterScheme = t.raw.slice(t.scheme.length + 1);
  return afterScheme.startsWith("//") ? `/${t.endpoint}` : t.endpoint;
}

export const unixResolver = fixedResolver("unix", (t) => `unix:${pathOf(t)}`);
export const unixAbstractResolver = fixedResolver("unix-abstract", (t) => `unix-abstract:${pathOf(t).replace(/^\//, "")}`);
