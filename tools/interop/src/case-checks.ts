/**
 * Assertions for interop test cases. A failed check throws a {@link CaseFailure}
 * whose message names the case and what was wrong:
 * "large_unary: response payload length 314158 != expected 314159".
 */
import { codeName, type Code } from "@grpckit/core";

/** A failed interop test case. */
export class CaseFailure extends Error {
  override readonly name = "CaseFailure";

  constructor(
    /** The test case, e.g. "large_unary". */
    readonly testCase: string,
    /** What went wrong, without the case name. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${testCase}: ${detail}`, options);
  }
}

/** How a call ended, as any implementation reports it; undefined when it succeeded. */
export interface EndStatus {
  code: number;
  message: string;
}

/** The checks available inside one test case. */
export interface CaseChecks {
  /** Fails with "<what> <actual> != expected <expected>" unless the two are identical. */
  equal(what: string, actual: unknown, expected: unknown): void;
  /** Fails with `what` unless `condition` holds. */
  ok(condition: boolean, what: string): void;
  /** Fails with `what`. */
  fail(what: string): never;
  /**
   * Checks that the call `what` ended with `code` (and, when given, exactly `message`);
   * `status` undefined means the call succeeded, which fails the check.
   */
  status(what: string, status: EndStatus | undefined, code: Code, message?: string): void;
  /**
   * Resolves with what `result` resolves with; fails with "<what> failed: <error>" when
   * it rejects (a CaseFailure from inside `result` propagates as is).
   */
  succeeds<T>(what: string, result: Promise<T>): Promise<T>;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The checks of test case `testCase`. */
export function caseChecks(testCase: string): CaseChecks {
  const fail = (what: string): never => {
    throw new CaseFailure(testCase, what);
  };
  return {
    equal(what, actual, expected) {
      if (actual !== expected) fail(`${what} ${show(actual)} != expected ${show(expected)}`);
    },
    ok(condition, what) {
      if (!condition) fail(what);
    },
    fail,
    status(what, status, code, message) {
      if (status === undefined) fail(`${what} succeeded, expected status ${codeName(code)}`);
      else if (status.code !== code) {
        fail(`${what} status ${codeName(status.code as Code)} != expected ${codeName(code)} (message ${show(status.message)})`);
      } else if (message !== undefined && status.message !== message) {
        fail(`${what} status message ${show(status.message)} != expected ${show(message)}`);
      }
    },
    async succeeds(what, result) {
      try {
        return await result;
      } catch (err) {
        if (err instanceof CaseFailure) throw err;
        throw new CaseFailure(testCase, `${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    },
  };
}

/**
 * Runs the body of test case `testCase`. A check that fails propagates as is; any
 * other error (a call that failed when it should not have) becomes a CaseFailure
 * saying so, with the original error as its cause.
 */
export async function runCase(testCase: string, body: (check: CaseChecks) => Promise<void>): Promise<void> {
  try {
    await body(caseChecks(testCase));
  } catch (err) {
    if (err instanceof CaseFailure) throw err;
    const text = err instanceof Error ? err.message : String(err);
    throw new CaseFailure(testCase, `unexpected error: ${text}`, { cause: err });
  }
}
