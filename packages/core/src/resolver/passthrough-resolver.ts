/** The passthrough resolver: the target's endpoint is the one address, handed to the transport as is. */
import type { ResolverBuilder } from "./resolver.js";

export const passthroughResolver: ResolverBuilder = {
  name: "passthrough",
  build(target, cc) {
    let closed = false;
    const push = () => {
      if (closed) return;
      if (target.endpoint === "") {
        cc.reportError(new Error(`passthrough target "${target.raw}" has no address`));
        return;
      }
      cc.updateState({ endpoints: [{ addresses: [{ addr: target.endpoint }] }] });
    };
    queueMicrotask(push);
    return {
      resolveNow() {},
      close() {
        closed = true;
      },
    };
  },
};
