/**
 * @grpckit/channelz: channelz (gRFC A14) for @grpckit/core. The grpc.channelz.v1
 * service for tools, and a live web page for people, both reading the records core
 * keeps once channelz is enabled.
 */

// The grpc.channelz.v1 service
export { addChannelzService, channelzServiceImpl, ChannelzService } from "./channelz-service.js";

// The web page
export { serveChannelzPage, type ChannelzPage, type ChannelzPageOptions } from "./channelz-page.js";
export { channelzSnapshot, type ChannelzSnapshot } from "./page-snapshot.js";

// Conversions, for other channelz front ends
export { addressMessage } from "./address.js";
export { securityMessage } from "./security.js";

/** The grpc.channelz.v1 generated descriptors and message types, for clients of the service. */
export * as channelzV1 from "./gen/grpc/channelz/v1/channelz_pb.js";
