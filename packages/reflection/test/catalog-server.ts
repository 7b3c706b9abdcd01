/** A loopback server with the test catalog service and reflection, for both test files. */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createChannel, createServer, type Channel, type Server, type ServiceImpl } from "@grpckit/core";
import { http2Transport } from "@grpckit/transport-http2";
import { addReflectionService, type ReflectionOptions } from "../src/index.js";
import { CatalogService } from "./gen/grpckit/reflecttest/v1/catalog_pb.js";
import { Item_Part_Finish, Kind } from "./gen/grpckit/reflecttest/v1/item_pb.js";

export const transport = http2Transport();

/** 2024-05-01T12:00:00Z */
export const createdMs = Date.UTC(2024, 4, 1, 12, 0, 0);

export const catalogImpl: ServiceImpl<typeof CatalogService> = {
  getItem: (request) => ({
    item: {
      name: request.name,
      kind: Kind.BOOK,
      created: timestampFromMs(createdMs),
      parts: [{ label: "spine", finish: Item_Part_Finish.MATTE }],
      labels: { shelf: "A3" },
    },
  }),
  async *watchItems(request) {
    yield { item: { name: `${request.prefix}-1`, kind: Kind.BOOK } };
    yield { item: { name: `${request.prefix}-2`, kind: Kind.RECORD } };
  },
};

/** Servers and channels opened by a test file, closed by `closeAll` in afterEach. */
export class Opened {
  private readonly servers: Server[] = [];
  private readonly channels: Channel[] = [];

  /** A listening server; `setup` adds services (and reflection) before it listens. */
  async server(setup: (server: Server) => void): Promise<{ server: Server; port: number }> {
    const server = createServer({ transport });
    this.servers.push(server);
    setup(server);
    const { port } = await server.listen("127.0.0.1:0");
    if (port === undefined) throw new Error("server reported no port");
    return { server, port };
  }

  /** A server offering the catalog service and reflection. */
  catalogServer(options?: ReflectionOptions): Promise<{ server: Server; port: number }> {
    return this.server((server) => addReflectionService(server.addService(CatalogService, catalogImpl), options));
  }

  channel(port: number): Channel {
    const channel = createChannel(`127.0.0.1:${port}`, { transport });
    this.channels.push(channel);
    return channel;
  }

  closeAll(): void {
    for (const c of this.channels.splice(0)) c.close();
    for (const s of this.servers.splice(0)) s.forceShutdown();
  }
}
