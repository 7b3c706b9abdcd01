/**
 * One cached access token and the single refresh of it in flight: every call that
 * finds the token missing or due shares one request to the token source.
 */
import { LogVerbosity, log } from "@grpckit/core";
import type { AccessToken, TokenSource } from "./access-token.js";

/** How a cache decides when to refresh; the defaults are each token source's. */
export interface TokenCacheOptions {
  /**
   * Refresh a token once it has less than this left before it expires, so none goes
   * out about to expire. Calls in that window wait for the refresh; when it fails they
   * carry on with the cached token while it is still valid.
   */
  readonly refreshBeforeExpiryMs?: number;
  /** The clock, in milliseconds since the epoch (default `Date.now`); for tests that move time. */
  readonly now?: () => number;
}

/** After a failed refresh while the cached token is still valid, calls use it this long before another refresh is tried. */
const retryAfterFailedRefreshMs = 1000;

export class TokenCache {
  private token: AccessToken | undefined;
  private refreshing: Promise<AccessToken> | undefined;
  private retryNotBefore = 0;
  private readonly refreshBeforeExpiryMs: number;
  private readonly now: () => number;

  /** `name` says whose tokens these are, in log lines ("the token endpoint https://…"). */
  constructor(
    private readonly source: TokenSource,
    private readonly name: string,
    options: TokenCacheOptions & { refreshBeforeExpiryMs: number },
  ) {
    this.refreshBeforeExpiryMs = options.refreshBeforeExpiryMs;
    this.now = options.now ?? Date.now;
    if (!(this.refreshBeforeExpiryMs >= 0)) throw new RangeError(`refreshBeforeExpiryMs must be a number of milliseconds >= 0, not ${String(this.refreshBeforeExpiryMs)}`);
  }

  /** A token to send now: the cached one while it is not due, else the result of the one shared refresh. */
  async get(): Promise<AccessToken> {
    const now = this.now();
    const cached = this.token;
    if (cached !== undefined && !this.isDue(cached, now)) return cached;
    const stillValid = cached !== undefined && !isExpired(cached, now) ? cached : undefined;
    if (stillValid !== undefined && this.refreshing === undefined && now < this.retryNotBefore) return stillValid;
    try {
      return await this.refresh();
    } catch (e) {
      // A refresh that failed early is no reason to fail calls the cached token still covers.
      if (stillValid !== undefined && !isExpired(stillValid, this.now())) return stillValid;
      throw e;
    }
  }

  private isDue(token: AccessToken, now: number): boolean {
    return token.expiresAt !== undefined && now >= token.expiresAt - this.refreshBeforeExpiryMs;
  }

  private refresh(): Promise<AccessToken> {
    if (this.refreshing !== undefined) return this.refreshing;
    // The source runs on a later turn, so one that throws at once still leaves `refreshing` set until it settles.
    const refreshing = Promise.resolve()
      .then(() => this.source())
      .then(
        (token) => {
          this.token = token;
          this.refreshing = undefined;
          return token;
        },
        (e: unknown) => {
          this.refreshing = undefined;
          const cached = this.token;
          const now = this.now();
          if (cached !== undefined && !isExpired(cached, now)) {
            this.retryNotBefore = now + retryAfterFailedRefreshMs;
            const left = cached.expiresAt === undefined ? "" : ` (valid ${Math.max(0, Math.round((cached.expiresAt - now) / 1000))} s more)`;
            log(LogVerbosity.ERROR, `credentials-oauth: keeping the cached token${left}: refreshing it from ${this.name} failed: ${(e as Error)?.message ?? String(e)}`);
          }
          throw e;
        },
      );
    this.refreshing = refreshing;
    return refreshing;
  }
}

function isExpired(token: AccessToken, now: number): boolean {
  return token.expiresAt !== undefined && now >= token.expiresAt;
}
