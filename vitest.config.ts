import { defineConfig } from "vitest/config";

// Tests run on the TypeScript sources of every workspace package (the "source"
// export condition), so one copy of each package is loaded and no stale build is tested.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: { name: "all", include: ["packages/*/test/**/*.test.ts", "tools/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts"] },
      },
      {
        // The transport seam tests again, on transport-h2 instead of node:http2.
        extends: true,
        test: {
          name: "seam-h2",
          include: ["packages/transport-http2/test/{streams,flow-control,connection,settings,keepalive,connection-management}.test.ts"],
          env: { GRPCKIT_TEST_TRANSPORT: "h2" },
        },
      },
    ],
  },
});
