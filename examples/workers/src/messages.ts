/** What a worker tells the primary over the cluster's IPC channel. */
export interface WorkerReady {
  readonly type: "ready";
  readonly workerId: number;
  readonly pid: number;
  /** The shared port every worker serves. */
  readonly port: number;
  /** This worker's own admin address. */
  readonly adminAddress: string;
}

export function isWorkerReady(message: unknown): message is WorkerReady {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "ready";
}
