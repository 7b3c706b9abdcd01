/**
 * Message compressors, named by their grpc-encoding value (doc/compression.md).
 * gzip and deflate run on node:zlib's thread pool, so inflating never blocks the event
 * loop, and stop as soon as the output passes the receive limit.
 */
import { deflate, gzip, gunzip, inflate, type InputType, type ZlibOptions } from "node:zlib";
import { kMaxLength } from "node:buffer";
import { Code } from "../status/code.js";
import { GrpcError } from "../status/grpc-error.js";

/** A message compression, registered by name in the compressor registry. */
export interface Compressor {
  /** The grpc-encoding name: "gzip", "deflate", "identity". */
  readonly name: string;
  compress(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Decompresses one message. Rejects with RESOURCE_EXHAUSTED when the output would
   * exceed `maxBytes` (without producing more than that), INTERNAL when the input is corrupt.
   */
  decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}

/** No compression: the bytes are sent as they are. */
export const identityCompressor: Compressor = {
  name: "identity",
  compress: (data) => Promise.resolve(data),
  decompress: (data, maxBytes) =>
    data.byteLength > maxBytes ? Promise.reject(tooLarge(maxBytes)) : Promise.resolve(data),
};

type ZlibFn = (data: InputType, options: ZlibOptions, callback: (error: Error | null, result: Buffer) => void) => void;

function zlibCompressor(name: string, pack: ZlibFn, unpack: ZlibFn): Compressor {
  return {
    name,
    compress: (data) =>
      new Promise((resolve, reject) => {
        pack(data, {}, (error, result) => {
          if (error !== null) reject(new GrpcError(Code.INTERNAL, `failed to compress message: ${error.message}`, { cause: error }));
          else resolve(result);
        });
      }),
    decompress: (data, maxBytes) =>
      new Promise((resolve, reject) => {
        const limit = Math.max(1, Math.min(maxBytes, kMaxLength));
        unpack(data, { maxOutputLength: limit }, (error, result) => {
          if (error !== null) {
            if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") reject(tooLarge(maxBytes));
            else reject(new GrpcError(Code.INTERNAL, `failed to decompress message: ${error.message}`, { cause: error }));
          } else if (result.byteLength > maxBytes) {
            reject(tooLarge(maxBytes));
          } else {
            resolve(result);
          }
        });
      }),
  };
}

function tooLarge(maxBytes: number): GrpcError {
  return new GrpcError(Code.RESOURCE_EXHAUSTED, `decompressed message larger than max (${maxBytes} bytes)`);
}

/** gzip (RFC 1952). */
export const gzipCompressor: Compressor = zlibCompressor("gzip", gzip, gunzip);

/** deflate: the zlib format (RFC 1950), as HTTP's "deflate" content-coding defines it. */
export const deflateCompressor: Compressor = zlibCompressor("deflate", deflate, inflate);

/** The encodings listed in a grpc-accept-encoding value, trimmed, empty entries dropped. */
export function parseAcceptEncoding(header: string | undefined): string[] {
  if (header === undefined) return [];
  const names: string[] = [];
  for (const part of header.split(",")) {
    const name = part.trim();
    if (name !== "") names.push(name);
  }
  return names;
}
