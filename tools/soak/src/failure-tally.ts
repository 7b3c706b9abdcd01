/** Failed calls counted by status code name, with the first failure kept for the report. */
import { codeName, GrpcError } from "@grpckit/core";

export class FailureTally {
  count = 0;
  readonly byCode: Record<string, number> = {};
  first: string | undefined;

  /** Counts `error` under its status code (a non-gRPC error counts as its `kind`). */
  add(error: unknown, kind = "CLIENT_CHECK"): void {
    const name = error instanceof GrpcError ? codeName(error.code) : kind;
    this.count++;
    this.byCode[name] = (this.byCode[name] ?? 0) + 1;
    this.first ??= error instanceof Error ? error.message : String(error);
  }
}
