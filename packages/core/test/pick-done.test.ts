import { describe, expect, it } from "vitest";
import {
  Code,
  ConnectivityState,
  createChannel,
  createClient,
  createInMemoryTransport,
  createServer,
  registerBalancer,
  type BalancerBuilder,
  type PickDoneInfo,
  type Subchannel,
} from "../src/index.js";
import { EchoService, echoImpl } from "./support/echo-service.js";

const done: PickDoneInfo[] = [];

/** Connects one subchannel and reports every finished call through onDone. */
const countingBalancer: BalancerBuilder = {
  name: "test_counting",
  build(cc) {
    let sc: Subchannel | undefined;
    return {
      updateClientConnState({ resolverState }) {
        if (sc !== undefined) return;
        const subchannel = cc.createSubchannel(resolverState.endpoints.flatMap((e) => e.addresses));
        sc = subchannel;
        subchannel.watch((state) => {
          if (state === ConnectivityState.READY) {
            cc.updateState({ state, picker: { pick: () => ({ type: "pick", subchannel, onDone: (info) => done.push(info) }) } });
          } else if (state === ConnectivityState.IDLE) {
            subchannel.connect();
          }
        });
        cc.updateState({ state: ConnectivityState.CONNECTING, picker: { pick: () => ({ type: "queue" }) } });
        subchannel.connect();
      },
      resolverError() {},
      exitIdle() {
        sc?.connect();
      },
      close() {
        sc?.shutdown();
      },
    };
  },
};
registerBalancer(countingBalancer);

describe("a picker's onDone", () => {
  it("is called once per picked call with how it ended", async () => {
    const transport = createInMemoryTransport();
    const server = createServer({ transport });
    server.addService(EchoService, echoImpl());
    await server.listen("pick-done");
    const channel = createChannel("pick-done", { transport, loadBalancingPolicy: "test_counting" });
    const client = createClient(EchoService, channel);
    await client.echo({ message: "a" });
    await client.echo({ failCode: Code.NOT_FOUND, failMessage: "gone" }).catch(() => undefined);
    await Promise.all([client.echo({}), client.echo({})]);
    expect(done).toHaveLength(4);
    expect(done[0].error).toBeUndefined();
    expect(done[1].error?.code).toBe(Code.NOT_FOUND);
    channel.close();
    server.forceShutdown();
  });
});
