/**
 * addReflectionService: serves grpc.reflection.v1 and grpc.reflection.v1alpha on a
 * server, describing every service added to it, whenever it was added.
 */
import type { DescFile, Registry } from "@bufbuild/protobuf";
import type { Server } from "@grpckit/core";
import { DescriptorIndex } from "./descriptor-index.js";
import { ServerReflection as ServerReflectionV1 } from "./gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
import { serveReflectionStream, type ReflectionSource } from "./reflection-stream.js";

export interface ReflectionOptions {
  /**
   * More descriptors to serve besides the files of the server's services: their files
   * become reachable by name and symbol, and their extensions are reported. Read when
   * the index is built (at the first reflection request, and again after a service is added).
   */
  registry?: Registry;
}

/**
 * Adds the reflection services, v1 and v1alpha, to `server`. They list every service
 * of the server (themselves included) and serve the protobuf files that define them,
 * with their imports, so tools such as `buf curl` and grpcurl can call the server
 * without local .proto files. Services added later are described too. Returns `server`.
 *
 * @example
 * const server = createServer({ transport: http2Transport() });
 * server.addService(GreeterService, greeter);
 * addReflectionService(server);
 * await server.listen("127.0.0.1:50051");
 */
export function addReflectionService(server: Server, options: ReflectionOptions = {}): Server {
  const source = reflectionSource(server, options.registry);
  server.addService(ServerReflectionV1, {
    serverReflectionInfo: (requests) => serveReflectionStream(requests, source),
  });
  server.addService(ServerReflectionV1alpha, {
    serverReflectionInfo: (requests) => serveReflectionStream(requests, source),
  });
  return server;
}

/** Reads the server's services at each request; rebuilds the index only when one was added. */
function reflectionSource(server: Server, registry: Registry | undefined): ReflectionSource {
  let cached: DescriptorIndex | undefined;
  let cachedCount = -1;
  return {
    serviceNames: () => server.serviceNames,
    index() {
      const services = server.services;
      if (cached === undefined || services.length !== cachedCount) {
        const roots: DescFile[] = services.map((s) => s.file);
        if (registry !== undefined) roots.push(...registryFiles(registry));
        cached = new DescriptorIndex(roots);
        cachedCount = services.length;
      }
      return cached;
    },
  };
}

function registryFiles(registry: Registry): Set<DescFile> {
  const files = new Set<DescFile>();
  if ("files" in registry) for (const f of (registry as { files: Iterable<DescFile> }).files) files.add(f);
  for (const desc of registry) files.add(desc.file);
  return files;
}
