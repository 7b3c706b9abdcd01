/** The implementations compared, and the process each runs as. */
import { fileURLToPath } from "node:url";

/**
 * grpckit on @grpckit/transport-http2 (node:http2), grpckit on @grpckit/transport-h2
 * (its own HTTP/2), @grpc/grpc-js, and bare node:http2 (the ceiling for node:http2).
 */
export const LIBRARIES = ["grpckit", "grpckit-h2", "grpc-js", "raw"] as const;
export type Library = (typeof LIBRARIES)[number];

/** The grpckit rows: each is divided by grpc-js's and raw node:http2's. */
export const GRPCKIT_LIBRARIES: readonly Library[] = ["grpckit", "grpckit-h2"];

/** The rows every grpckit row is divided by. */
export const BASELINE_LIBRARIES: readonly Library[] = ["grpc-js", "raw"];

/** Names used in reports. */
export const LIBRARY_LABEL: Record<Library, string> = {
  grpckit: "grpckit on transport-http2",
  "grpckit-h2": "grpckit on transport-h2",
  "grpc-js": "@grpc/grpc-js",
  raw: "raw node:http2",
};

const FILE_STEM: Record<Library, string> = { grpckit: "grpckit", "grpckit-h2": "grpckit-h2", "grpc-js": "grpcjs", raw: "raw" };

/** The compiled server entry point of `library`. */
export function serverScript(library: Library): string {
  return fileURLToPath(new URL(`./servers/${FILE_STEM[library]}-server.js`, import.meta.url));
}

/** The compiled client entry point of `library`. */
export function clientScript(library: Library): string {
  return fileURLToPath(new URL(`./clients/${FILE_STEM[library]}-client.js`, import.meta.url));
}

/** Parses a comma-separated list of library names. */
export function parseLibraries(list: string): Library[] {
  const names = list.split(",").map((name) => name.trim()).filter((name) => name !== "");
  for (const name of names) {
    if (!(LIBRARIES as readonly string[]).includes(name)) {
      throw new Error(`unknown library "${name}"; expected some of ${LIBRARIES.join(", ")}`);
    }
  }
  return names as Library[];
}
