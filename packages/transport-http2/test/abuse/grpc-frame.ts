/** gRPC's 5-byte message frame, built by hand so a test can lie in it. */
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { EchoRequestSchema } from "../../../core/test/gen/grpckit/test/v1/echo_pb.js";

/** A framed message; `declaredLength` may differ from the payload's real length. */
export function grpcFrame(payload: Uint8Array, options: { compressed?: boolean; declaredLength?: number } = {}): Buffer {
  const b = Buffer.alloc(5 + payload.byteLength);
  b[0] = options.compressed === true ? 1 : 0;
  b.writeUInt32BE(options.declaredLength ?? payload.byteLength, 1);
  b.set(payload, 5);
  return b;
}

/** An EchoRequest, serialized. */
export function echoRequestBytes(init: MessageInitShape<typeof EchoRequestSchema>): Uint8Array {
  return toBinary(EchoRequestSchema, create(EchoRequestSchema, init));
}
