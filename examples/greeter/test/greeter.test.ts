/**
 * The Greeter example over real loopback HTTP/2: the server implementation answers the
 * client flow main.ts and client-main.ts print, and an empty name is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, GrpcError, createChannel, createClient, createServer, type Channel, type Client, type Server } from "@grpckit/core";
import { h2Transport } from "@grpckit/transport-h2";
import { greet } from "../src/client.js";
import { Greeter, greeter, greetings } from "../src/server.js";

const transport = h2Transport();
let server: Server;
let channel: Channel;
let client: Client<typeof Greeter>;

beforeAll(async () => {
  server = createServer({ transport });
  server.addService(Greeter, greeter);
  const { address } = await server.listen("127.0.0.1:0");
  channel = createChannel(address, { transport });
  client = createClient(Greeter, channel);
});

afterAll(() => {
  channel?.close();
  server?.forceShutdown();
});

async function failure(call: Promise<unknown>): Promise<GrpcError> {
  try {
    await call;
  } catch (e) {
    if (e instanceof GrpcError) return e;
    throw e;
  }
  throw new Error("the call succeeded");
}

describe("Greeter over loopback HTTP/2", () => {
  it("SayHello greets the name it is given", async () => {
    const reply = await client.sayHello({ name: "Ada" });
    expect(reply.message).toBe("Hello, Ada!");
  });

  it("SayHelloStream sends one greeting per language, in order", async () => {
    const messages: string[] = [];
    for await (const r of client.sayHelloStream({ name: "Grace" })) messages.push(r.message);
    expect(messages).toEqual(["Hello, Grace!", "Bonjour, Grace!", "Hallo, Grace!", "Hola, Grace!", "Ciao, Grace!"]);
    expect(messages).toHaveLength(greetings.length);
  });

  it("the client flow prints the unary reply, then every streamed reply", async () => {
    const lines: string[] = [];
    await greet(client, "Alan", (line) => lines.push(line));
    expect(lines).toEqual([
      "SayHello       -> Hello, Alan!",
      ...greetings.map((g) => `SayHelloStream -> ${g}, Alan!`),
    ]);
  });

  it("an empty name ends SayHello with INVALID_ARGUMENT", async () => {
    const err = await failure(client.sayHello({ name: "" }));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.rawMessage).toBe("name must not be empty");
  });

  it("an empty name ends SayHelloStream with INVALID_ARGUMENT before any reply", async () => {
    const received: string[] = [];
    const err = await failure(
      (async () => {
        for await (const r of client.sayHelloStream({ name: "  " })) received.push(r.message);
      })(),
    );
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(received).toEqual([]);
  });
});
