/** The EchoService implementation grpckit's own tests run against. */
import type { HandlerContext, ServiceImpl } from "../../src/index.js";
import { Code, GrpcError } from "../../src/index.js";
import { EchoService, type EchoRequest } from "../gen/grpckit/test/v1/echo_pb.js";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

async function prepare(req: EchoRequest, ctx: HandlerContext): Promise<void> {
  if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
  if (req.failCode !== 0) throw new GrpcError(req.failCode as Code, req.failMessage);
}

/** Records what handlers saw, for assertions. */
export interface EchoLog {
  aborted: string[];
  contexts: HandlerContext[];
}

export function echoImpl(log: EchoLog = { aborted: [], contexts: [] }): ServiceImpl<typeof EchoService> {
  const watch = (ctx: HandlerContext) => {
    log.contexts.push(ctx);
    ctx.signal.addEventListener("abort", () => log.aborted.push(String((ctx.signal.reason as Error)?.message)), { once: true });
  };
  return {
    async echo(req, ctx) {
      watch(ctx);
      const echoed = ctx.metadata.get("x-echo");
      if (echoed !== undefined) ctx.responseHeader.set("x-echo", echoed);
      ctx.responseTrailer.set("x-trailer", "done");
      await prepare(req, ctx);
      return { message: req.message, payload: req.payload };
    },
    async *expand(req, ctx) {
      watch(ctx);
      for (let i = 0; i < req.repeat; i++) {
        await prepare({ ...req, failCode: 0 }, ctx);
        yield { message: req.message, index: i };
      }
      if (req.failCode !== 0) throw new GrpcError(req.failCode as Code, req.failMessage);
    },
    async collect(reqs, ctx) {
      watch(ctx);
      const parts: string[] = [];
      for await (const r of reqs) {
        await prepare(r, ctx);
        parts.push(r.message);
      }
      return { message: parts.join(","), index: parts.length };
    },
    async *chat(reqs, ctx) {
      watch(ctx);
      let i = 0;
      for await (const r of reqs) {
        await prepare(r, ctx);
        yield { message: r.message, index: i++, payload: r.payload };
      }
    },
  };
}

export { EchoService };
