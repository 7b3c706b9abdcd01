/** The Greeter service: says hello to a name, once or once per language as a stream. */
import { Code, GrpcError, type ServiceImpl } from "@grpckit/core";
import { Greeter } from "./gen/greeter/v1/greeter_pb.js";

/** The greetings SayHelloStream sends, one reply each, in this order. */
export const greetings: readonly string[] = ["Hello", "Bonjour", "Hallo", "Hola", "Ciao"];

function checkName(name: string): void {
  if (name.trim() === "") throw new GrpcError(Code.INVALID_ARGUMENT, "name must not be empty");
}

/** The Greeter implementation: an empty name is INVALID_ARGUMENT for both methods. */
export const greeter: ServiceImpl<typeof Greeter> = {
  sayHello(req) {
    checkName(req.name);
    return { message: `Hello, ${req.name}!` };
  },
  async *sayHelloStream(req) {
    checkName(req.name);
    for (const greeting of greetings) yield { message: `${greeting}, ${req.name}!` };
  },
};

export { Greeter };
