/**
 * The grpc.channelz.v1.Channelz service handlers, answering from core's channelz
 * registry: pages of top channels, servers and server sockets, and single entities
 * by id (NOT_FOUND for an id the process does not know, or no longer knows).
 */
import {
  ChannelzSocket,
  Code,
  enableChannelz,
  GrpcError,
  type ChannelzRegistry,
  type Server,
  type ServiceImpl,
} from "@grpckit/core";
import {
  channelMessage,
  listenSocketMessage,
  serverMessage,
  socketMessage,
  socketRef,
  subchannelMessage,
} from "./channelz-messages.js";
import { Channelz } from "./gen/grpc/channelz/v1/channelz_pb.js";

/** The grpc.channelz.v1.Channelz service descriptor. */
export const ChannelzService = Channelz;

/** A request's id or page size as a number; ids beyond 2^53 match nothing anyway. */
function num(v: bigint): number {
  return Number(v);
}

function pageSize(maxResults: bigint): number {
  if (maxResults < 0n) throw new GrpcError(Code.INVALID_ARGUMENT, `max_results must not be negative, got ${maxResults}`);
  return num(maxResults);
}

function notFound(kind: string, id: bigint): GrpcError {
  return new GrpcError(Code.NOT_FOUND, `${kind} ${id} not found`);
}

/** Handlers for ChannelzService over `registry`. */
export function channelzServiceImpl(registry: ChannelzRegistry): ServiceImpl<typeof ChannelzService> {
  return {
    getTopChannels(request) {
      const page = registry.topChannels(num(request.startChannelId), pageSize(request.maxResults));
      return { channel: page.items.map(channelMessage), end: page.end };
    },
    getServers(request) {
      const page = registry.serverList(num(request.startServerId), pageSize(request.maxResults));
      return { server: page.items.map(serverMessage), end: page.end };
    },
    getServer(request) {
      const server = registry.server(num(request.serverId));
      if (server === undefined) throw notFound("server", request.serverId);
      return { server: serverMessage(server) };
    },
    getServerSockets(request) {
      const server = registry.server(num(request.serverId));
      if (server === undefined) throw notFound("server", request.serverId);
      const page = registry.serverSockets(server, num(request.startSocketId), pageSize(request.maxResults));
      return { socketRef: page.items.map((s) => socketRef(s.ref)), end: page.end };
    },
    getChannel(request) {
      const channel = registry.channel(num(request.channelId));
      if (channel === undefined) throw notFound("channel", request.channelId);
      return { channel: channelMessage(channel) };
    },
    getSubchannel(request) {
      const subchannel = registry.subchannel(num(request.subchannelId));
      if (subchannel === undefined) throw notFound("subchannel", request.subchannelId);
      return { subchannel: subchannelMessage(subchannel) };
    },
    getSocket(request) {
      const socket = registry.socket(num(request.socketId));
      if (socket === undefined) throw notFound("socket", request.socketId);
      return {
        socket: socket instanceof ChannelzSocket ? socketMessage(socket, request.summary) : listenSocketMessage(socket),
      };
    },
  };
}

/**
 * Turns channelz on (`enableChannelz()`) and adds the channelz service to `server`,
 * answering for every channel, server and connection created from now on. Returns
 * the registry the service reads.
 *
 * @example
 * const server = createServer();
 * addChannelzService(server);
 * await server.listen("127.0.0.1:50051");
 */
export function addChannelzService(server: Server, registry: ChannelzRegistry = enableChannelz()): ChannelzRegistry {
  server.addService(ChannelzService, channelzServiceImpl(registry));
  return registry;
}
