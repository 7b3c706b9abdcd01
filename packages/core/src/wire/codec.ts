/**
 * Codecs turn messages into the bytes of a gRPC frame and back. The codec's name is
 * the content-subtype: "application/grpc+proto" selects "proto", "application/grpc+json"
 * selects "json", and plain "application/grpc" means proto.
 */
import {
  fromBinary,
  fromJsonString,
  toJsonString,
  type DescMessage,
  type JsonReadOptions,
  type JsonWriteOptions,
  type MessageShape,
} from "@bufbuild/protobuf";
import { encodeProto, encodedProtoSize, encodeProtoPieces, type MessagePieces } from "./proto-encoder.js";

/**
 * A message encoding, registered by name in the codec registry. `decode` throws on
 * bytes it cannot parse; the call layer turns that into INTERNAL "failed to parse ...".
 */
export interface Codec {
  /** The content-subtype, lowercase: "proto", "json". */
  readonly name: string;
  encode<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array;
  decode<Desc extends DescMessage>(schema: Desc, data: Uint8Array): MessageShape<Desc>;
}

/** The protobuf binary encoding, gRPC's default; the bytes are those protobuf-es's toBinary writes. */
export const protoCodec: Codec = {
  name: "proto",
  encode: (schema, message) => encodeProto(schema, message),
  decode: (schema, data) => fromBinary(schema, data),
};

/** Options of {@link createJsonCodec}: protobuf-es JSON write and read options. */
export type JsonCodecOptions = Partial<JsonWriteOptions & JsonReadOptions>;

/**
 * A proto3 JSON codec (content-type application/grpc+json), UTF-8 encoded. Unknown
 * fields are ignored when reading unless `ignoreUnknownFields: false` is given; pass a
 * `registry` to read and write google.protobuf.Any fields.
 */
export function createJsonCodec(options?: JsonCodecOptions): Codec {
  const readOptions: Partial<JsonReadOptions> = { ignoreUnknownFields: true, ...options };
  const writeOptions: Partial<JsonWriteOptions> | undefined = options;
  return {
    name: "json",
    encode: (schema, message) => Buffer.from(toJsonString(schema, message, writeOptions), "utf8"),
    decode: (schema, data) =>
      fromJsonString(schema, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"), readOptions),
  };
}

/** The proto3 JSON codec with default options. */
export const jsonCodec: Codec = createJsonCodec();

const grpcType = "application/grpc";

/**
 * The codec name a gRPC content-type asks for: "application/grpc" and
 * "application/grpc+proto" give "proto", "application/grpc+json" gives "json",
 * "application/grpc+x" gives "x". Parameters after ";" are ignored. Returns undefined
 * when the content-type is not gRPC's (the server answers 415).
 */
export function contentTypeCodecName(contentType: string): string | undefined {
  if (contentType === grpcType || contentType === "application/grpc+proto") return "proto";
  if (contentType === "application/grpc+json") return "json";
  const semi = contentType.indexOf(";");
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!type.startsWith(grpcType)) return undefined;
  if (type.length === grpcType.length) return "proto";
  if (type.charCodeAt(grpcType.length) !== 43 /* + */) return undefined;
  const subtype = type.slice(grpcType.length + 1);
  return subtype === "" ? undefined : subtype;
}

/**
 * Serializes a message for sending. With the proto codec, bytes fields of 16 KiB or
 * more stay where they are and are written from the message's own memory.
 */
export function serializeMessage<Desc extends DescMessage>(
  codec: Codec,
  schema: Desc,
  message: MessageShape<Desc>,
): Uint8Array | MessagePieces {
  return codec === protoCodec ? encodeProtoPieces(schema, message) : codec.encode(schema, message);
}

/** The size of a message's serialization: with the proto codec, found without writing it. */
export function serializedSize<Desc extends DescMessage>(codec: Codec, schema: Desc, message: MessageShape<Desc>): number {
  return codec === protoCodec ? encodedProtoSize(schema, message) : codec.encode(schema, message).byteLength;
}
