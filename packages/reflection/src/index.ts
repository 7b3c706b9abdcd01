/**
 * @grpckit/reflection: gRPC server reflection (grpc.reflection.v1 and v1alpha) for a
 * @grpckit/core server, serving the protobuf descriptors of every registered service.
 */
export { addReflectionService, type ReflectionOptions } from "./reflection-service.js";

/** The v1 protocol's generated descriptors and message types, for clients of the service. */
export * as reflectionV1 from "./gen/grpc/reflection/v1/reflection_pb.js";
/** The v1alpha protocol's generated descriptors and message types. */
export * as reflectionV1alpha from "./gen/grpc/reflection/v1alpha/reflection_pb.js";
