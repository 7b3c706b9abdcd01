/**
 * @grpckit/binarylog: gRPC binary logging (gRFC A16) for @grpckit/core. The calls a
 * GRPC_BINARY_LOG_FILTER selects are logged as grpc.binarylog.v1.GrpcLogEntry
 * messages, client and server side, through core's stats hook, to a sink: a file of
 * length-delimited entries, or your own.
 */

// The stats handler that logs
export { binaryLog, binaryLogFromEnvironment, type BinaryLogOptions } from "./binary-log.js";

// GRPC_BINARY_LOG_FILTER
export { parseBinaryLogFilter, BinaryLogFilterError, type BinaryLogFilter, type BinaryLogLimits } from "./filter.js";

// Sinks
export type { BinaryLogSink } from "./sink.js";
export { fileSink, type FileSink, type FileSinkOptions } from "./file-sink.js";

// The log entry's schema (grpc/binlog/v1/binarylog.proto)
export {
  file_grpc_binlog_v1_binarylog,
  GrpcLogEntrySchema,
  GrpcLogEntry_EventType,
  GrpcLogEntry_Logger,
  ClientHeaderSchema,
  ServerHeaderSchema,
  TrailerSchema,
  MessageSchema,
  MetadataSchema,
  MetadataEntrySchema,
  AddressSchema,
  Address_Type,
  type GrpcLogEntry,
  type ClientHeader,
  type ServerHeader,
  type Trailer,
  type Message,
  type Metadata,
  type MetadataEntry,
  type Address,
} from "./gen/grpc/binlog/v1/binarylog_pb.js";
