/** Connectivity states of a channel or subchannel, as in doc/connectivity-semantics-and-api.md. */
export enum ConnectivityState {
  IDLE = "IDLE",
  CONNECTING = "CONNECTING",
  READY = "READY",
  TRANSIENT_FAILURE = "TRANSIENT_FAILURE",
  SHUTDOWN = "SHUTDOWN",
}
