/**
 * dependency-cruiser rules for grpckit's sources (packages/* /src and tools/* /src),
 * checked by tools/release/test/dependencies.test.ts in npm test.
 *
 * - no import cycle, type-only imports included: a cycle is broken by moving what the
 *   files share into the lower one;
 * - a package reaches another only through its package.json "exports" (resolved with
 *   the "source" condition, as vitest does), never by a relative path into its folder
 *   or a deep import such as "@grpckit/core/dist/...";
 * - inside @grpckit/core, imports between folders run one way (docs/architecture.md).
 */
/**
 * @grpckit/core's folders, bottom layer first. A folder may import its own files and
 * those of folders in lower layers, never a folder beside it or above it. The top-level
 * files have a layer of their own (registries.ts wires the built-in plug-ins into the
 * registries the client and server read; index.ts, error-details.ts and orca.ts are entry points).
 */
const coreLayers = [
  ["gen", "metadata", "timers", "registry"],
  ["status"],
  ["wire", "observability", "resolver"],
  ["credentials", "call"],
  ["transport"],
  ["balancer"],
  ["config", "channelz"],
  ["registries.ts"],
  ["client", "server", "testing"],
  ["index.ts", "error-details.ts", "orca.ts"],
];

const corePath = (part) => (part.endsWith(".ts") ? `${part.replace(".", "\\.")}$` : `${part}/`);

const coreLayerRules = coreLayers.flatMap((layer, level) =>
  layer.map((part) => ({
    name: "core-layers",
    comment: `packages/core/src/${part} sits in layer ${level} of .dependency-cruiser.cjs's coreLayers: it may import only lower layers. Move what both sides need down.`,
    severity: "error",
    from: { path: `^packages/core/src/${corePath(part)}` },
    to: {
      path: `^packages/core/src/(${coreLayers
        .slice(level)
        .flat()
        .filter((other) => other !== part)
        .map(corePath)
        .join("|")})`,
    },
  })),
);

module.exports = {
  forbidden: [
    ...coreLayerRules,
    {
      name: "no-cycle",
      comment: "An import cycle; move what the files share into the lower file.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-other-package-internals",
      comment: "A relative import into another package's folder; import the package by its name instead.",
      severity: "error",
      from: { path: "^(packages|tools|examples)/([^/]+)/" },
      to: { dependencyTypes: ["local"], pathNot: "^$1/$2/" },
    },
    {
      name: "no-unresolvable",
      comment:
        "An import that does not resolve, such as a deep import a package's \"exports\" do not allow (\"@grpckit/core/dist/...\").",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Sources, plus grpckit package names that did not resolve (so no-unresolvable sees them).
    includeOnly: "^(packages|tools)/[^/]+/src/|^@grpckit/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["source", "import", "default"],
      extensions: [".ts", ".js", ".mjs", ".json"],
      mainFields: ["module", "main", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
