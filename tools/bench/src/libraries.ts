/** The three implementations compared, and the process each runs as. */
import { fileURLToPath } from "node:url";

/** grpckit, @grpc/grpc-js, and bare node:http2 (the ceiling). */
export const LIBRARIES = ["grpckit", "grpc-js", "raw"] as const;
export type Library = (typeof LIBRARIES)[number];

/** Names used in reports. */
export const LIBRARY_LABEL: Record<Library, string> = {
  grpckit: "grpckit",
  "grpc-js": "@grpc/grpc-js",
  raw: "raw node:http2",
};

const FILE_STEM: Record<Library, string> = { grpckit: "grpckit", "grpc-js": "grpcjs", raw: "raw" };

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
