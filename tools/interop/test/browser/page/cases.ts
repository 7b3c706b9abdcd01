/** The cases every client runs against a grpckit server, and the runner that collects their outcomes. */
import type { CaseResults, Outcome, PageRun } from "../contract.js";
import { connectWebCases } from "./connect-web-cases.js";
import { grpcWebCases } from "./grpc-web-cases.js";

type Observed<K extends keyof CaseResults> = CaseResults[K] extends Outcome<infer T> ? T : never;

/** One client's way of running each case; each returns what a user of that client would look at. */
export interface Cases {
  unary(): Promise<Observed<"unary">>;
  serverStreaming(): Promise<Observed<"serverStreaming">>;
  errorDetails(): Promise<Observed<"errorDetails">>;
  deadline(): Promise<Observed<"deadline">>;
  metadata(): Promise<Observed<"metadata">>;
}

async function outcome<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

/** Runs every case one after another with the client `run` names. */
export async function runCases(run: PageRun): Promise<CaseResults> {
  const cases = run.client.name === "connect-web" ? connectWebCases(run.baseUrl, run.client) : grpcWebCases(run.baseUrl, run.client);
  return {
    // The page's own origin; its globals are typed as Node's here, so `location` is reached by hand.
    pageOrigin: (globalThis as unknown as { location: { origin: string } }).location.origin,
    unary: await outcome(() => cases.unary()),
    serverStreaming: await outcome(() => cases.serverStreaming()),
    errorDetails: await outcome(() => cases.errorDetails()),
    deadline: await outcome(() => cases.deadline()),
    metadata: await outcome(() => cases.metadata()),
  };
}
