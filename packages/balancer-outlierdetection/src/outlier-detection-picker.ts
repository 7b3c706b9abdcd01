/**
 * The picker outlier detection publishes: the child's picker, with each call counted
 * as a success (it ended OK) or a failure in the bucket of the endpoint it went to
 * (gRFC A50). The child's own onDone still hears about every call.
 */
import { Code, SubchannelWrapper, type PickInfo, type PickResult, type Picker, type Subchannel } from "@grpckit/core";
import { OutlierDetectionSubchannel } from "./outlier-detection-subchannel.js";

/** How deep to look through a child's own wrappers for ours; bounded so a wrapper loop cannot hang a pick. */
const maxWrapperDepth = 16;

/** Our subchannel behind `sc`, when the child returned it or wrapped it in a wrapper of its own. */
function outlierDetectionSubchannel(sc: Subchannel): OutlierDetectionSubchannel | undefined {
  let current: Subchannel = sc;
  for (let depth = 0; depth < maxWrapperDepth; depth++) {
    if (current instanceof OutlierDetectionSubchannel) return current;
    if (!(current instanceof SubchannelWrapper)) return undefined;
    current = current.wrapped;
  }
  return undefined;
}

export class OutlierDetectionPicker implements Picker {
  constructor(private readonly child: Picker) {}

  pick(info: PickInfo): PickResult {
    const result = this.child.pick(info);
    if (result.type !== "pick") return result;
    const endpoint = outlierDetectionSubchannel(result.subchannel)?.endpoint;
    if (endpoint === undefined) return result;
    const childDone = result.onDone;
    return {
      type: "pick",
      subchannel: result.subchannel,
      onDone: (done) => {
        // Counted in the bucket active when the call ends, as gRFC A50 does.
        endpoint.calls.record(done.code === Code.OK);
        childDone?.(done);
      },
    };
  }
}
