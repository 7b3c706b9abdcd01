import { defineConfig } from "vitest/config";

// Tests run on the TypeScript sources of every workspace package (the "source"
// export condition), so one copy of each package is loaded and no stale build is tested.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "tools/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
