// One request to LiveDesk, the one way every request is made (create, update, search; live run and
// dry-run check alike): wait for a pacing slot, send, classify the answer once, and retry what a
// retry can fix with p-retry — Retry-After when the server sent one, else capped exponential
// backoff with jitter. Nothing here knows what the request is for; the caller reads the answer.
import pRetry, { AbortError } from 'p-retry';
import { DEFAULT_BACKOFF, retryDelayMs, sleep, type BackoffPolicy } from './backoff.js';
import { classifyError, type Classified, type NotLanded } from './classify.js';
import type { HttpAnswer, LiveDeskClient } from './client.js';
import type { RatePacer } from './rate.js';

export interface SendStats {
  requests: number;
  retries: number;
}

/** What every request shares for the whole run. */
export interface RequestContext {
  client: LiveDeskClient;
  pacer: RatePacer;
  /** Aborted when the run stops: no new attempt starts, waits end early. */
  stop: AbortSignal;
  stats: SendStats;
  /** Retries after the first attempt. */
  retries: number;
  backoff?: BackoffPolicy;
  /** Sent in every create (a number when it is all digits, as the API's example); named in messages. */
  inboxId: number | string;
  baseUrl: string;
  /** A retry is about to wait; `row` is the request's row, when it has one. */
  onRetry?: (c: RetryClass, delayMs: number, row: number | undefined) => void;
}

export type RetryClass = Extract<Classified, { kind: 'retry' }>;
/** The run stopped before (or between) attempts: the request's fate is for --resume to settle. */
export const STOPPED = { kind: 'stopped' } as const;
export type Stopped = typeof STOPPED;

export interface RequestPlan<S> {
  send: () => Promise<HttpAnswer>;
  /** Reads an HTTP answer: a success of the caller's shape, or why it did not land. */
  read: (a: HttpAnswer) => S | NotLanded;
  /** Called after each attempt; returning false stops retrying (a resend would be unsafe). */
  mayRetry?: (c: RetryClass) => boolean;
  /** The row this request is for (named in the retry log line). */
  row?: number;
  /** Called right before each send, once its pacing slot came and the run had not stopped. */
  beforeSend?: (attempt: number) => void;
}

/** What came of a request: its last answer, read. `attempts` counts the sends. */
export type RequestResult<S> = { answer: S | NotLanded | Stopped; attempts: number };

class RetryableAnswer extends Error {
  constructor(readonly c: RetryClass) {
    super(c.message);
  }
}

export async function request<S extends { kind: string }>(ctx: RequestContext, plan: RequestPlan<S>): Promise<RequestResult<S>> {
  let attempts = 0;
  const attempt = async (): Promise<S | NotLanded | Stopped> => {
    await ctx.pacer.take(ctx.stop);
    if (ctx.stop.aborted) throw new AbortError(new Stop());
    attempts++;
    plan.beforeSend?.(attempts);
    ctx.stats.requests++;
    let c: S | NotLanded;
    try {
      c = plan.read(await plan.send());
    } catch (err) {
      c = classifyError(err) as NotLanded;
    }
    if (c.kind === 'retry') {
      const r = c as RetryClass;
      if (r.code === 'rate_limited') ctx.pacer.throttled();
      if (plan.mayRetry?.(r) === false) return c;
      throw new RetryableAnswer(r);
    }
    ctx.pacer.succeeded();
    return c;
  };
  // Waits before the next attempt: Retry-After or jittered backoff, cut short by a stop. p-retry's
  // own wait is off; it counts the attempts and decides whether to try again.
  const beforeRetry = async (error: unknown, attemptNumber: number, retriesLeft: number): Promise<void> => {
    if (!(error instanceof RetryableAnswer) || retriesLeft <= 0 || ctx.stop.aborted) return;
    ctx.stats.retries++;
    const delay = retryDelayMs(attemptNumber, error.c.retryAfterMs, ctx.backoff ?? DEFAULT_BACKOFF);
    if (error.c.retryAfterMs !== undefined) ctx.pacer.pauseFor(delay);
    ctx.onRetry?.(error.c, delay, plan.row);
    await sleep(delay, ctx.stop);
  };
  try {
    // Most requests land at the first attempt: it runs bare, and p-retry (whose set-up per call
    // showed in the live import's profile) takes over only for a request that needs a retry, with
    // the same policy as if it had run from the start.
    try {
      return { answer: await attempt(), attempts };
    } catch (e) {
      if (e instanceof AbortError) throw e.originalError;
      if (!(e instanceof RetryableAnswer) || ctx.retries === 0 || ctx.stop.aborted) throw e;
      await beforeRetry(e, 1, ctx.retries);
    }
    const answer = await pRetry(attempt, {
      retries: ctx.retries - 1,
      minTimeout: 0,
      maxTimeout: 0,
      shouldRetry: ({ error }) => error instanceof RetryableAnswer && !ctx.stop.aborted,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => beforeRetry(error, attemptNumber + 1, retriesLeft),
    });
    return { answer, attempts };
  } catch (e) {
    if (e instanceof Stop) return { answer: STOPPED, attempts };
    // Out of retries, or stopped between them: the last answer stands (the caller decides what a
    // stop means for a request that may have landed).
    if (e instanceof RetryableAnswer) return { answer: ctx.stop.aborted ? STOPPED : e.c, attempts };
    throw e;
  }
}

class Stop extends Error {}
