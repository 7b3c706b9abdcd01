/** The demo's Greeter implementation. */
import type { ServiceImpl } from "@grpckit/core";
import { Greeter } from "./gen/demo/v1/greeter_pb.js";

export const greeter: ServiceImpl<typeof Greeter> = {
  sayHello(req) {
    return { message: `Hello, ${req.name}!` };
  },
  async *sayHelloManyTimes(req) {
    for (const greeting of ["Hello", "Bonjour", "Hallo"]) {
      yield { message: `${greeting}, ${req.name}!` };
    }
  },
  async greetEveryone(requests) {
    const names: string[] = [];
    for await (const r of requests) names.push(r.name);
    return { message: `Hello, ${names.join(" and ")}!` };
  },
  async *chat(requests) {
    for await (const r of requests) yield { message: `Nice to meet you, ${r.name}.` };
  },
};

export { Greeter };
