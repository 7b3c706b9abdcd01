/**
 * One ServerReflectionInfo stream: answers each request in order, one response per
 * request, and remembers which files it already sent so that each file crosses the
 * stream once. v1 and v1alpha share this code; their messages differ only in name.
 */
import { Code, GrpcError } from "@grpckit/core";
import type { DescFile } from "@bufbuild/protobuf";
import type { DescriptorIndex } from "./descriptor-index.js";

/** A ServerReflectionRequest of either version, as read. */
export interface ReflectionRequest {
  readonly host: string;
  readonly messageRequest:
    | { readonly case: "fileByFilename"; readonly value: string }
    | { readonly case: "fileContainingSymbol"; readonly value: string }
    | { readonly case: "fileContainingExtension"; readonly value: { readonly containingType: string; readonly extensionNumber: number } }
    | { readonly case: "allExtensionNumbersOfType"; readonly value: string }
    | { readonly case: "listServices"; readonly value: string }
    | { readonly case: undefined; readonly value?: undefined };
}

/** The message_response oneof of a ServerReflectionResponse, for either version. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** What a stream reads from its server, each time a request needs it. */
export interface ReflectionSource {
  /** The fully-qualified names of the services to list. */
  serviceNames(): string[];
  /** The index of every file the server can describe. */
  index(): DescriptorIndex;
}

/**
 * Serves one stream: yields a response for every request, echoing its host and the
 * request itself. A request that names nothing known gets an error_response and the
 * stream goes on; a request with no question in it ends the stream with INVALID_ARGUMENT.
 */
export async function* serveReflectionStream<R extends ReflectionRequest>(
  requests: AsyncIterable<R>,
  source: ReflectionSource,
): AsyncIterable<{ validHost: string; originalRequest: R; messageResponse: ReflectionAnswer }> {
  const sent = new Set<string>();
  for await (const request of requests) {
    yield { validHost: request.host, originalRequest: request, messageResponse: answer(request, source, sent) };
  }
}

function answer(request: ReflectionRequest, source: ReflectionSource, sent: Set<string>): ReflectionAnswer {
  const q = request.messageRequest;
  switch (q.case) {
    case "fileByFilename": {
      const index = source.index();
      const file = index.fileByName(q.value);
      return file === undefined ? notFound(`file "${q.value}" not found`) : filesFrom(index, file, sent);
    }
    case "fileContainingSymbol": {
      const index = source.index();
      const file = index.fileContainingSymbol(q.value);
      return file === undefined ? notFound(`symbol "${q.value}" not found`) : filesFrom(index, file, sent);
    }
    case "fileContainingExtension": {
      const index = source.index();
      const { containingType, extensionNumber } = q.value;
      const file = index.fileContainingExtension(containingType, extensionNumber);
      return file === undefined
        ? notFound(`extension ${extensionNumber} of "${containingType}" not found`)
        : filesFrom(index, file, sent);
    }
    case "allExtensionNumbersOfType": {
      const numbers = source.index().extensionNumbers(q.value);
      return numbers === undefined
        ? notFound(`type "${q.value}" not found`)
        : { case: "allExtensionNumbersResponse", value: { baseTypeName: q.value, extensionNumber: numbers } };
    }
    case "listServices":
      return { case: "listServicesResponse", value: { service: source.serviceNames().map((name) => ({ name })) } };
    default:
      throw new GrpcError(Code.INVALID_ARGUMENT, "reflection request asks nothing: message_request is not set");
  }
}

/**
 * `file` first, always, then each of its transitive imports this stream has not sent
 * yet, breadth first. Everything returned counts as sent.
 */
function filesFrom(index: DescriptorIndex, file: DescFile, sent: Set<string>): ReflectionAnswer {
  const out = [index.encode(file)];
  sent.add(file.proto.name);
  const queue = file.dependencies.slice();
  for (let i = 0; i < queue.length; i++) {
    const dep = queue[i];
    const name = dep.proto.name;
    if (sent.has(name)) continue;
    sent.add(name);
    out.push(index.encode(dep));
    for (const d of dep.dependencies) queue.push(d);
  }
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: out } };
}

function notFound(message: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NOT_FOUND, errorMessage: message } };
}
