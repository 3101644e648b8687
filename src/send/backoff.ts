// When to try again: the server's Retry-After when it sent one, else capped exponential backoff
// with jitter so that many workers that failed together do not retry together.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Longest Retry-After honoured; a larger one is clamped so one answer cannot stall a run. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000, maxRetryAfterMs: 120_000 };

/** attempt is 1 for the wait after the first failure. random() in [0, 1). */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  // "Equal jitter": at least half the ceiling, so backoff still grows, plus a random half.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** A wait that ends early (resolving) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
