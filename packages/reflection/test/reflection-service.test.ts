import { create, createFileRegistry, createRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, GrpcError } from "@grpckit/core";
import { afterEach, describe, expect, it } from "vitest";
import { addReflectionService, reflectionV1, reflectionV1alpha } from "../src/index.js";
import { Opened, catalogImpl } from "./catalog-server.js";
import { CatalogService } from "./gen/grpckit/reflecttest/v1/catalog_pb.js";
import { file_grpckit_reflecttest_v1_extras } from "./gen/grpckit/reflecttest/v1/extras_pb.js";

const { ServerReflection, ServerReflectionRequestSchema } = reflectionV1;
type Request = MessageInitShape<typeof ServerReflectionRequestSchema>;
type Response = reflectionV1.ServerReflectionResponse;

const catalogFile = "grpckit/reflecttest/v1/catalog.proto";
const itemFile = "grpckit/reflecttest/v1/item.proto";
const extrasFile = "grpckit/reflecttest/v1/extras.proto";
const timestampFile = "google/protobuf/timestamp.proto";

const opened = new Opened();
afterEach(() => opened.closeAll());

/** Sends `requests` on one v1 ServerReflectionInfo stream and collects every response. */
async function ask(port: number, requests: Request[]): Promise<Response[]> {
  const client = createClient(ServerReflection, opened.channel(port));
  const responses: Response[] = [];
  for await (const r of client.serverReflectionInfo(requests)) responses.push(r);
  return responses;
}

async function askOne(port: number, request: Request): Promise<Response> {
  const responses = await ask(port, [request]);
  expect(responses).toHaveLength(1);
  return responses[0];
}

function symbol(name: string): Request {
  return { messageRequest: { case: "fileContainingSymbol", value: name } };
}

/** The names of the files in a file_descriptor_response, in the order sent. */
function fileNames(response: { messageResponse: Response["messageResponse"] | reflectionV1alpha.ServerReflectionResponse["messageResponse"] }): string[] {
  const r = response.messageResponse;
  if (r.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${r.case}: ${JSON.stringify(r.value)}`);
  return r.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

function serviceNames(response: Response): string[] {
  const r = response.messageResponse;
  if (r.case !== "listServicesResponse") throw new Error(`expected a service list, got ${r.case}`);
  return r.value.service.map((s) => s.name);
}

function errorOf(response: Response): { errorCode: number; errorMessage: string } {
  const r = response.messageResponse;
  if (r.case !== "errorResponse") throw new Error(`expected an error response, got ${r.case}`);
  return { errorCode: r.value.errorCode, errorMessage: r.value.errorMessage };
}

describe("grpc.reflection.v1 over HTTP/2", () => {
  it("lists every service of the server, the reflection services included", async () => {
    const { port } = await opened.catalogServer();
    const response = await askOne(port, { messageRequest: { case: "listServices", value: "" } });
    expect(serviceNames(response).sort()).toEqual([
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "grpckit.reflecttest.v1.CatalogService",
    ]);
  });

  it("describes a service added after reflection was", async () => {
    const { server, port } = await opened.server((s) => addReflectionService(s));
    server.addService(CatalogService, catalogImpl);
    const [list, files] = await ask(port, [{ messageRequest: { case: "listServices", value: "" } }, symbol("grpckit.reflecttest.v1.CatalogService")]);
    expect(serviceNames(list)).toContain("grpckit.reflecttest.v1.CatalogService");
    expect(fileNames(files)[0]).toBe(catalogFile);
  });

  it("serves a file by name, followed by its transitive imports", async () => {
    const { port } = await opened.catalogServer();
    const response = await askOne(port, { messageRequest: { case: "fileByFilename", value: catalogFile } });
    expect(fileNames(response)).toEqual([catalogFile, itemFile, timestampFile]);
  });

  it("serves files a client can rebuild every type of the service from", async () => {
    const { port } = await opened.catalogServer();
    const response = await askOne(port, symbol("grpckit.reflecttest.v1.CatalogService"));
    const r = response.messageResponse;
    if (r.case !== "fileDescriptorResponse") throw new Error(`expected files, got ${r.case}`);
    // Here the imports form a chain (catalog -> item -> timestamp), so the reverse lists imports first.
    const files = r.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b)).reverse();
    const set = create(FileDescriptorSetSchema, { file: files });
    const registry = createFileRegistry(set);
    const method = registry.getService("grpckit.reflecttest.v1.CatalogService")?.methods.find((m) => m.name === "GetItem");
    expect(method?.input.typeName).toBe("grpckit.reflecttest.v1.GetItemRequest");
    expect(method?.output.typeName).toBe("grpckit.reflecttest.v1.GetItemResponse");
    const created = registry.getMessage("grpckit.reflecttest.v1.Item")?.fields.find((f) => f.name === "created");
    expect(created?.message?.typeName).toBe("google.protobuf.Timestamp");
    expect(registry.getExtension("grpckit.reflecttest.v1.note")?.number).toBe(100);
  });

  it.each([
    ["a service", "grpckit.reflecttest.v1.CatalogService", catalogFile],
    ["a method", "grpckit.reflecttest.v1.CatalogService.GetItem", catalogFile],
    ["a message", "grpckit.reflecttest.v1.Item", itemFile],
    ["a nested message", "grpckit.reflecttest.v1.Item.Part", itemFile],
    ["a map entry message", "grpckit.reflecttest.v1.Item.LabelsEntry", itemFile],
    ["a field", "grpckit.reflecttest.v1.Item.created", itemFile],
    ["an enum", "grpckit.reflecttest.v1.Kind", itemFile],
    ["a nested enum", "grpckit.reflecttest.v1.Item.Part.Finish", itemFile],
    ["an enum value, scoped beside its enum", "grpckit.reflecttest.v1.KIND_BOOK", itemFile],
    ["an extension", "grpckit.reflecttest.v1.note", catalogFile],
    ["a well-known type", "google.protobuf.Timestamp", timestampFile],
    ["the reflection service itself", "grpc.reflection.v1.ServerReflection", "grpc/reflection/v1/reflection.proto"],
  ])("file_containing_symbol finds %s", async (_what, name, file) => {
    const { port } = await opened.catalogServer();
    const response = await askOne(port, symbol(name));
    expect(fileNames(response)[0]).toBe(file);
  });

  it("sends each file once per stream: the file asked for always, its imports only the first time", async () => {
    const { port } = await opened.catalogServer();
    const responses = await ask(port, [
      symbol("grpckit.reflecttest.v1.Item"),
      symbol("grpckit.reflecttest.v1.CatalogService"),
      symbol("grpckit.reflecttest.v1.Kind"),
    ]);
    expect(responses.map(fileNames)).toEqual([[itemFile, timestampFile], [catalogFile], [itemFile]]);
    const fresh = await askOne(port, symbol("grpckit.reflecttest.v1.Kind"));
    expect(fileNames(fresh)).toEqual([itemFile, timestampFile]);
  });

  it("answers many requests on one stream in order, echoing host and request", async () => {
    const { port } = await opened.catalogServer();
    const requests: Request[] = [
      { host: "catalog.internal", messageRequest: { case: "listServices", value: "*" } },
      { host: "a", ...symbol("grpckit.reflecttest.v1.Item") },
      { host: "b", messageRequest: { case: "allExtensionNumbersOfType", value: "grpckit.reflecttest.v1.Item" } },
      { host: "c", messageRequest: { case: "fileByFilename", value: timestampFile } },
    ];
    const responses = await ask(port, requests);
    expect(responses.map((r) => r.messageResponse.case)).toEqual([
      "listServicesResponse",
      "fileDescriptorResponse",
      "allExtensionNumbersResponse",
      "fileDescriptorResponse",
    ]);
    expect(responses.map((r) => r.validHost)).toEqual(["catalog.internal", "a", "b", "c"]);
    expect(responses.map((r) => r.originalRequest?.messageRequest)).toEqual(requests.map((r) => r.messageRequest));
  });

  it("answers each request while the stream stays open, before the client half-closes", async () => {
    const { port } = await opened.catalogServer();
    const client = createClient(ServerReflection, opened.channel(port));
    let answered!: () => void;
    const firstAnswered = new Promise<void>((resolve) => (answered = resolve));
    async function* requests(): AsyncGenerator<Request> {
      yield { messageRequest: { case: "listServices", value: "" } };
      await firstAnswered;
      yield symbol("grpckit.reflecttest.v1.Item");
    }
    const cases: (string | undefined)[] = [];
    for await (const r of client.serverReflectionInfo(requests())) {
      cases.push(r.messageResponse.case);
      answered();
    }
    expect(cases).toEqual(["listServicesResponse", "fileDescriptorResponse"]);
  });

  it("an unknown symbol gets a NOT_FOUND error_response naming it, and the stream answers the next request", async () => {
    const { port } = await opened.catalogServer();
    const [missing, found] = await ask(port, [symbol("grpckit.reflecttest.v1.Missing"), symbol("grpckit.reflecttest.v1.Item")]);
    const error = errorOf(missing);
    expect(error.errorCode).toBe(Code.NOT_FOUND);
    expect(error.errorMessage).toContain("grpckit.reflecttest.v1.Missing");
    expect(fileNames(found)).toEqual([itemFile, timestampFile]);
  });

  it("an unknown file name gets a NOT_FOUND error_response naming it", async () => {
    const { port } = await opened.catalogServer();
    const error = errorOf(await askOne(port, { messageRequest: { case: "fileByFilename", value: "nope/missing.proto" } }));
    expect(error).toEqual({ errorCode: Code.NOT_FOUND, errorMessage: expect.stringContaining("nope/missing.proto") });
  });

  it("file_containing_extension finds the file that extends a message", async () => {
    const { port } = await opened.catalogServer();
    const response = await askOne(port, {
      messageRequest: { case: "fileContainingExtension", value: { containingType: "grpckit.reflecttest.v1.Item", extensionNumber: 101 } },
    });
    expect(fileNames(response)).toEqual([catalogFile, itemFile, timestampFile]);
  });

  it("an extension number nobody declared gets NOT_FOUND", async () => {
    const { port } = await opened.catalogServer();
    const response = await askOne(port, {
      messageRequest: { case: "fileContainingExtension", value: { containingType: "grpckit.reflecttest.v1.Item", extensionNumber: 150 } },
    });
    expect(errorOf(response)).toEqual({ errorCode: Code.NOT_FOUND, errorMessage: expect.stringContaining("150") });
  });

  it("all_extension_numbers_of_type lists the extensions of a message in ascending order", async () => {
    const { port } = await opened.catalogServer();
    const [item, plain, unknown] = await ask(port, [
      { messageRequest: { case: "allExtensionNumbersOfType", value: "grpckit.reflecttest.v1.Item" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "grpckit.reflecttest.v1.GetItemRequest" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "grpckit.reflecttest.v1.Nothing" } },
    ]);
    expect(item.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({ baseTypeName: "grpckit.reflecttest.v1.Item", extensionNumber: [100, 101] }),
    });
    expect(plain.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({ baseTypeName: "grpckit.reflecttest.v1.GetItemRequest", extensionNumber: [] }),
    });
    expect(errorOf(unknown)).toEqual({ errorCode: Code.NOT_FOUND, errorMessage: expect.stringContaining("grpckit.reflecttest.v1.Nothing") });
  });

  it("the registry option adds files and extensions no service imports", async () => {
    const { port } = await opened.catalogServer({ registry: createRegistry(file_grpckit_reflecttest_v1_extras) });
    const [numbers, extension, shelf] = await ask(port, [
      { messageRequest: { case: "allExtensionNumbersOfType", value: "grpckit.reflecttest.v1.Item" } },
      { messageRequest: { case: "fileContainingExtension", value: { containingType: "grpckit.reflecttest.v1.Item", extensionNumber: 150 } } },
      symbol("grpckit.reflecttest.v1.Shelf.shelf"),
    ]);
    expect(numbers.messageResponse.case === "allExtensionNumbersResponse" && numbers.messageResponse.value.extensionNumber).toEqual([100, 101, 150]);
    expect(fileNames(extension)).toEqual([extrasFile, itemFile, timestampFile]);
    expect(fileNames(shelf)).toEqual([extrasFile]);
  });

  it("a request that asks nothing ends the stream with INVALID_ARGUMENT", async () => {
    const { port } = await opened.catalogServer();
    const error = await ask(port, [{ host: "x" }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(Code.INVALID_ARGUMENT);
  });
});

describe("grpc.reflection.v1alpha over HTTP/2", () => {
  type AlphaRequest = MessageInitShape<typeof reflectionV1alpha.ServerReflectionRequestSchema>;

  async function askAlpha(port: number, requests: AlphaRequest[]): Promise<reflectionV1alpha.ServerReflectionResponse[]> {
    const client = createClient(reflectionV1alpha.ServerReflection, opened.channel(port));
    const responses: reflectionV1alpha.ServerReflectionResponse[] = [];
    for await (const r of client.serverReflectionInfo(requests)) responses.push(r);
    return responses;
  }

  it("answers the same questions as v1, with the same files and errors", async () => {
    const { port } = await opened.catalogServer();
    const [list, files, missing, again] = await askAlpha(port, [
      { messageRequest: { case: "listServices", value: "" } },
      { messageRequest: { case: "fileContainingSymbol", value: "grpckit.reflecttest.v1.CatalogService.WatchItems" } },
      { messageRequest: { case: "fileContainingSymbol", value: "grpckit.reflecttest.v1.Gone" } },
      { messageRequest: { case: "fileByFilename", value: itemFile } },
    ]);
    expect(list.$typeName).toBe("grpc.reflection.v1alpha.ServerReflectionResponse");
    expect(list.messageResponse.case === "listServicesResponse" && list.messageResponse.value.service.map((s) => s.name)).toContain(
      "grpckit.reflecttest.v1.CatalogService",
    );
    expect(fileNames(files)).toEqual([catalogFile, itemFile, timestampFile]);
    expect(missing.messageResponse).toEqual({
      case: "errorResponse",
      value: expect.objectContaining({ errorCode: Code.NOT_FOUND, errorMessage: expect.stringContaining("grpckit.reflecttest.v1.Gone") }),
    });
    expect(fileNames(again)).toEqual([itemFile]);
  });
});
