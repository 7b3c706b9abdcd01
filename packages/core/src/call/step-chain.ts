/**
 * Keeps a call's received messages and its status in order while some of them are
 * decompressed asynchronously (zlib's thread pool): a step added here runs after every
 * step before it has finished, including the promise it returned.
 */
export class StepChain {
  private tail: Promise<void> | undefined;

  /** Whether steps are still pending. */
  get pending(): boolean {
    return this.tail !== undefined;
  }

  /**
   * Runs `step` after the pending ones; later steps also wait for the promise it returns.
   * A step handles its own errors: a failing one does not stop the chain.
   */
  add(step: () => unknown): void {
    const done = (): void => {
      if (this.tail === p) this.tail = undefined;
    };
    const p: Promise<void> = (this.tail ?? Promise.resolve()).then(step).then(done, done);
    this.tail = p;
  }

  /** Runs `step` at once when nothing is pending, else after what is. */
  run(step: () => void): void {
    if (this.tail === undefined) step();
    else this.add(step);
  }
}
