/**
 * What the retried calls of one channel share (gRFC A6): the throttling tokens, and
 * the bytes of request messages held for replay across all its calls.
 */
import type { RetryThrottling } from "./method-config.js";

/** Retry throttling: retries and hedges stop while more than half the tokens are spent. */
export class RetryThrottle {
  private tokens: number;

  constructor(private readonly config: RetryThrottling) {
    this.tokens = config.maxTokens;
  }

  /** An attempt failed with a retryable (or non-fatal) status. */
  onFailure(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** A call succeeded. */
  onSuccess(): void {
    this.tokens = Math.min(this.config.maxTokens, this.tokens + this.config.tokenRatio);
  }

  /** Whether another attempt may start. */
  get allowsRetry(): boolean {
    return this.tokens > this.config.maxTokens / 2;
  }

  get tokenCount(): number {
    return this.tokens;
  }
}

/** Default bytes one call may hold for replay before it commits to its current attempt. */
export const defaultPerCallRetryBufferBytes = 1 << 20;
/** Default bytes all calls of a channel may hold for replay together. */
export const defaultChannelRetryBufferBytes = 16 << 20;

export class ChannelRetryState {
  /** Bytes held for replay by this channel's calls now. */
  bufferedBytes = 0;

  constructor(
    /** Undefined when the service config sets no retryThrottling. */
    public throttle: RetryThrottle | undefined,
    readonly perCallBufferBytes = defaultPerCallRetryBufferBytes,
    readonly channelBufferBytes = defaultChannelRetryBufferBytes,
  ) {}
}
