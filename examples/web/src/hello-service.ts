/** The HelloService the page calls: a greeting, and a count sent as a stream. */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, GrpcError, type ServiceImpl } from "@grpckit/core";
import { HelloService } from "./gen/web/v1/hello_pb.js";

/** The largest count Count accepts, so one request costs the server a bounded amount. */
export const maxCount = 20;

/** The HelloService implementation; bad input is INVALID_ARGUMENT with a message a page can show as it is. */
export function helloService(options: { countIntervalMs?: number } = {}): ServiceImpl<typeof HelloService> {
  const interval = options.countIntervalMs ?? 200;
  return {
    sayHello(req) {
      const name = req.name.trim();
      if (name === "") throw new GrpcError(Code.INVALID_ARGUMENT, "name must not be empty: type a name and try again");
      return { message: `Hello, ${name}!` };
    },
    async *count(req, context) {
      if (req.upTo < 1 || req.upTo > maxCount) {
        throw new GrpcError(Code.INVALID_ARGUMENT, `up_to must be from 1 to ${maxCount}, not ${req.upTo}`);
      }
      for (let n = 1; n <= req.upTo; n++) {
        // A pause between numbers, so the page shows a stream arriving rather than one answer.
        if (n > 1) await sleep(interval, undefined, { signal: context.signal });
        yield { number: n };
      }
    },
  };
}

export { HelloService };
