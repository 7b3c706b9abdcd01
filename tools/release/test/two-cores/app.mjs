// An application with two copies of @grpckit/core installed side by side, as npm does
// when a plug-in and the application ask for versions that do not overlap: "core-a"
// is the plug-in's copy, "core-b" the application's. Prints what it saw as JSON.
import * as A from "core-a";
import * as B from "core-b";
import { create, createFileRegistry } from "@bufbuild/protobuf";
import { anyPack, DurationSchema, FileDescriptorProtoSchema, file_google_protobuf_wrappers } from "@bufbuild/protobuf/wkt";

const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: "two_cores.proto",
    package: "twocores",
    syntax: "proto3",
    dependency: ["google/protobuf/wrappers.proto"],
    service: [
      {
        name: "Lookup",
        method: ["Find", "Denied", "Echo"].map((name) => ({
          name,
          inputType: ".google.protobuf.StringValue",
          outputType: ".google.protobuf.StringValue",
        })),
      },
    ],
  }),
  (name) => (name === "google/protobuf/wrappers.proto" ? file_google_protobuf_wrappers : undefined),
);
const LookupService = registry.getService("twocores.Lookup");

// The plug-in: a balancer registered through copy A that records every pick, and
// fails picks of Denied with a GrpcError of copy A.
const picks = [];
A.registerBalancer({
  name: "two_cores_recording",
  build(cc) {
    let subchannel;
    return {
      updateClientConnState({ resolverState }) {
        if (subchannel !== undefined) return;
        subchannel = cc.createSubchannel(resolverState.endpoints[0].addresses);
        subchannel.watch((state) => {
          const picker =
            state === A.ConnectivityState.READY
              ? {
                  pick(info) {
                    picks.push(info.path);
                    if (info.path.endsWith("/Denied")) {
                      return { type: "fail", error: new A.GrpcError(A.Code.PERMISSION_DENIED, "the plug-in says no") };
                    }
                    return { type: "pick", subchannel };
                  },
                }
              : A.constantPicker({ type: "queue" });
          cc.updateState({ state, picker });
        });
        subchannel.connect();
      },
      resolverError() {},
      exitIdle() {
        subchannel?.connect();
      },
      close() {
        subchannel?.shutdown();
      },
    };
  },
});

// The application: a server and a channel of copy B, whose handler runs the plug-in's
// code, which throws a GrpcError of copy A with details and trailing metadata.
const transport = B.createInMemoryTransport();
const server = B.createServer({ transport }).addService(LookupService, {
  find(request) {
    throw new A.GrpcError(A.Code.NOT_FOUND, `no user ${request.value}`, {
      details: [anyPack(DurationSchema, create(DurationSchema, { seconds: 7n }))],
      metadata: new A.Metadata({ "x-thrown-by": "core-a", "x-trace-bin": new Uint8Array([1, 2, 3]) }),
    });
  },
  denied() {
    return { value: "unreachable" };
  },
  // Per-message compression marks set by one copy are read by the other.
  echo(request) {
    return { value: `${request.value}: ${A.wasCompressed(request) ? "compressed" : "plain"}` };
  },
});
await server.listen("two-cores");
const channel = B.createChannel("two-cores", { transport, loadBalancingPolicy: "two_cores_recording" });
const client = B.createClient(LookupService, channel);

function describeError(e) {
  return {
    instanceofB: e instanceof B.GrpcError,
    isB: B.GrpcError.is(e),
    instanceofA: e instanceof A.GrpcError,
    code: e.code,
    codeName: B.codeName(e.code),
    rawMessage: e.rawMessage,
    details: B.GrpcError.is(e) ? e.details.map((d) => d.typeUrl) : [],
    seconds: B.GrpcError.is(e) ? e.findDetails(DurationSchema).map((d) => Number(d.seconds)) : [],
    thrownBy: B.GrpcError.is(e) ? e.metadata.get("x-thrown-by") : undefined,
    traceBin: B.GrpcError.is(e) ? Array.from(e.metadata.get("x-trace-bin") ?? []) : [],
  };
}

const found = await client.find({ value: "7" }).then(
  () => ({ resolved: true }),
  (e) => describeError(e),
);
const denied = await client.denied({ value: "7" }).then(
  () => ({ resolved: true }),
  (e) => describeError(e),
);
const gzipped = await client.echo({ value: "gzip" }, { compression: "gzip" });
const markedUncompressed = await client.echo(A.sendUncompressed({ value: "marked" }), { compression: "gzip" });
channel.close();
await server.shutdown();

console.log(
  JSON.stringify({
    versions: { a: A.coreVersion, b: B.coreVersion },
    sameBalancerRegistry: A.balancerRegistry === B.balancerRegistry,
    bSeesBalancer: B.balancerRegistry.has("two_cores_recording"),
    picks,
    found,
    denied,
    echoes: [gzipped.value, markedUncompressed.value],
  }),
);
