/**
 * The picker ring_hash publishes (gRFC A42, with gRFC A76's random hashes): a call
 * goes to the endpoint owning its hash on the ring; a call whose endpoint is not
 * usable waits for it or, when it has failed, falls over to the next endpoints round
 * the ring.
 */
import { Code, ConnectivityState, GrpcError, type Picker, type PickInfo, type PickResult, type Subchannel } from "@grpckit/core";
import { ringIndexOf, type RingEntry } from "./ring.js";
import { requestHash } from "./request-hash.js";

const { READY, IDLE, CONNECTING } = ConnectivityState;
const queue: PickResult = { type: "queue" };

/** One endpoint as a picker sees it: its subchannel and its state when the picker was made. */
export interface RingEndpoint {
  readonly subchannel: Subchannel;
  /** The state ring_hash counts it in: a failed endpoint stays TRANSIENT_FAILURE while it retries (gRFC A61). */
  readonly state: ConnectivityState;
}

export class RingHashPicker implements Picker {
  constructor(
    private readonly ring: readonly RingEntry<RingEndpoint>[],
    /** The request header hashed (gRFC A76); "" hashes every call at random. */
    private readonly requestHashHeader: string,
    /** Why a pick fails when every endpoint has failed. */
    private readonly failure: () => GrpcError,
  ) {
    if (ring.length === 0) throw new RangeError("RingHashPicker needs a non-empty ring");
  }

  pick(info: PickInfo): PickResult {
    const { hash, random } = requestHash(info.metadata, this.requestHashHeader);
    const start = ringIndexOf(this.ring, hash);
    return random ? this.pickForRandomHash(start) : this.pickForHash(start);
  }

  /**
   * A42: the owning endpoint if READY; if IDLE it is connected and the call waits, as
   * it does while it connects. If it has failed, the next distinct endpoints round the
   * ring are tried in turn by the same rules, so one bad backend does not fail the
   * calls hashed to it.
   */
  private pickForHash(start: number): PickResult {
    const seen = new Set<RingEndpoint>();
    for (let n = 0; n < this.ring.length; n++) {
      const endpoint = this.ring[(start + n) % this.ring.length].value;
      if (seen.has(endpoint)) continue;
      seen.add(endpoint);
      switch (endpoint.state) {
        case READY:
          return { type: "pick", subchannel: endpoint.subchannel };
        case IDLE:
          connectSoon(endpoint.subchannel);
          return queue;
        case CONNECTING:
          return queue;
        default:
          continue; // TRANSIENT_FAILURE: try the next endpoint.
      }
    }
    return { type: "fail", error: this.failure() };
  }

  /**
   * A76: a random hash has no affinity to keep, so the call takes the first READY
   * endpoint round the ring. With none READY it waits: for the one already connecting
   * if any, else after asking the first IDLE one to connect; it fails only when all
   * have failed.
   */
  private pickForRandomHash(start: number): PickResult {
    let firstIdle: RingEndpoint | undefined;
    let connecting = false;
    for (let n = 0; n < this.ring.length; n++) {
      const endpoint = this.ring[(start + n) % this.ring.length].value;
      if (endpoint.state === READY) return { type: "pick", subchannel: endpoint.subchannel };
      if (endpoint.state === CONNECTING) connecting = true;
      else if (endpoint.state === IDLE) firstIdle ??= endpoint;
    }
    if (connecting) return queue;
    if (firstIdle !== undefined) {
      connectSoon(firstIdle.subchannel);
      return queue;
    }
    return { type: "fail", error: this.failure() };
  }
}

/**
 * Connects outside the pick: a connect can change states synchronously, and a picker
 * must not re-enter its balancer while the channel is picking.
 */
function connectSoon(subchannel: Subchannel): void {
  queueMicrotask(() => subchannel.connect());
}

/** The error of a pick made when every endpoint has failed. */
export function allFailedError(endpoints: number, lastError: GrpcError | undefined): GrpcError {
  const why = lastError?.rawMessage ?? "no connection succeeded";
  return new GrpcError(Code.UNAVAILABLE, `ring_hash: all ${endpoints} backends are unavailable; last error: ${why}`);
}

