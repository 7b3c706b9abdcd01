/** Connectivity states of a channel or subchannel, as in doc/connectivity-semantics-and-api.md. */
export enum ConnectivityState {
  IDLE = "IDLE",
  CONNECTING = "CONNECTING",
  READY = "READY",
  TRANSIENT_FAILURE = "TRANSIENT_FAILURE",
  SHUTDOWN = "SHUTDOWN",
}

/**
 * The state of a policy that balances over several children (endpoints or child
 * policies), as grpc-go's endpoint sharding aggregates it: READY if any child is
 * READY, else CONNECTING if any is, else IDLE if any is, else TRANSIENT_FAILURE (also
 * for no children). SHUTDOWN children are not counted.
 */
export function aggregateConnectivityState(states: Iterable<ConnectivityState>): ConnectivityState {
  let connecting = false;
  let idle = false;
  for (const s of states) {
    if (s === ConnectivityState.READY) return ConnectivityState.READY;
    if (s === ConnectivityState.CONNECTING) connecting = true;
    else if (s === ConnectivityState.IDLE) idle = true;
  }
  if (connecting) return ConnectivityState.CONNECTING;
  if (idle) return ConnectivityState.IDLE;
  return ConnectivityState.TRANSIENT_FAILURE;
}
