/** The Greeter client flow shared by main.ts and client-main.ts: both methods, printed as they answer. */
import type { Client } from "@grpckit/core";
import type { Greeter } from "./gen/greeter/v1/greeter_pb.js";

/** Calls SayHello, then SayHelloStream, for `name`, passing each reply to `print` as a line. */
export async function greet(client: Client<typeof Greeter>, name: string, print: (line: string) => void): Promise<void> {
  const reply = await client.sayHello({ name }, { timeoutMs: 5000 });
  print(`SayHello       -> ${reply.message}`);
  for await (const r of client.sayHelloStream({ name }, { timeoutMs: 5000 })) {
    print(`SayHelloStream -> ${r.message}`);
  }
}
