/** PickInfo for a picker under test. */
import type { PickInfo } from "../balancer/balancer.js";
import { Metadata, type MetadataInit } from "../metadata/metadata.js";

/**
 * The PickInfo a call would give its picker: `path` ("/grpckit.test.v1.EchoService/Echo"
 * by default), request `metadata` (none by default) and `deadline` (none by default).
 *
 * @example
 * picker.pick(createPickInfo({ metadata: { "x-user": "ada" } }));
 */
export function createPickInfo(init: { path?: string; metadata?: MetadataInit | Metadata; deadline?: number } = {}): PickInfo {
  const md = init.metadata;
  return {
    path: init.path ?? "/grpckit.test.v1.EchoService/Echo",
    metadata: md instanceof Metadata ? md : new Metadata(md),
    deadline: init.deadline,
  };
}
