// Send one valid row to LiveDesk and decide its outcome: pace, retry with backoff, and settle the
// ambiguous cases (a request that may or may not have created the contact).
import pRetry, { AbortError } from 'p-retry';
import type { ContactFields, ErrorCode, Outcome, ValidRow } from '../types.js';
import { DEFAULT_BACKOFF, retryDelayMs, sleep, type BackoffPolicy } from './backoff.js';
import { classifyAnswer, classifyError, type Classified } from './classify.js';
import type { LiveDeskClient } from './client.js';
import { findExisting } from './lookup.js';
import type { KeyLock } from './key-lock.js';
import type { RatePacer } from './rate.js';

export interface SendStats {
  requests: number;
  retries: number;
}

export interface SenderContext {
  client: LiveDeskClient;
  pacer: RatePacer;
  keyLock: KeyLock;
  inboxId: number | string;
  baseUrl: string;
  /** Retries after the first attempt. */
  retries: number;
  /** Aborted when the run stops: no new attempt starts, waits end early. */
  stop: AbortSignal;
  stats: SendStats;
  backoff?: BackoffPolicy;
  onRetry?: (row: number, c: Extract<Classified, { kind: 'retry' }>, delayMs: number) => void;
}

/** Every row ends in one outcome; `fatal` ends the run, `notSent` is a row the stop caught. */
export type SendResult = Outcome | { kind: 'fatal'; row: number; message: string } | { kind: 'notSent'; row: number };

class Retryable extends Error {
  constructor(readonly c: Extract<Classified, { kind: 'retry' }>) {
    super(c.message);
  }
}
class Settled extends Error {
  constructor(readonly result: SendResult) {
    super('settled');
  }
}

/** The values LiveDesk treats as unique; rows sharing one must not be in flight together. */
export function uniqueKeys(c: ContactFields): string[] {
  const keys: string[] = [];
  if (c.email) keys.push('e:' + c.email.toLowerCase());
  if (c.phone_number) keys.push('p:' + c.phone_number);
  if (c.identifier) keys.push('i:' + c.identifier);
  return keys;
}

export async function sendRow(row: ValidRow, ctx: SenderContext): Promise<SendResult> {
  const keys = uniqueKeys(row.contact);
  const release = await ctx.keyLock.acquire(keys);
  try {
    return await attemptWithRetries(row, keys.length > 0, ctx);
  } finally {
    release();
  }
}

async function attemptWithRetries(row: ValidRow, hasKey: boolean, ctx: SenderContext): Promise<SendResult> {
  const body = { inbox_id: ctx.inboxId, ...row.contact };
  const classifyCtx = { inboxId: String(ctx.inboxId), baseUrl: ctx.baseUrl };
  const failed = (code: ErrorCode, message: string): Outcome => ({
    kind: 'failed',
    row: row.row,
    values: row.values,
    contact: row.contact,
    code,
    message,
  });
  let ambiguous = false;
  let attempts = 0;

  const attempt = async (): Promise<SendResult> => {
    if (ctx.stop.aborted) throw new AbortError(new Settled({ kind: 'notSent', row: row.row }));
    await ctx.pacer.take(ctx.stop);
    if (ctx.stop.aborted) throw new AbortError(new Settled({ kind: 'notSent', row: row.row }));
    ctx.stats.requests++;
    attempts++;
    let c: Classified;
    try {
      c = classifyAnswer(await ctx.client.createContact(body), { ...classifyCtx, now: Date.now() });
    } catch (err) {
      c = classifyError(err);
    }
    switch (c.kind) {
      case 'success':
        return { kind: 'created', row: row.row, values: row.values, contact: row.contact, contactId: c.contactId };
      case 'fatal':
        throw new AbortError(new Settled({ kind: 'fatal', row: row.row, message: c.message }));
      case 'row': {
        if (c.taken && ambiguous) {
          // Our earlier attempt most likely stored it: find it rather than report a failure.
          const found = await findExisting(ctx, row.contact).catch(() => undefined);
          if (found !== undefined) {
            return { kind: 'existing', row: row.row, values: row.values, contact: row.contact, contactId: found };
          }
        }
        throw new AbortError(new Settled(failed(c.code, c.message)));
      }
      case 'retry':
        if (c.ambiguous) ambiguous = true;
        if (ambiguous && !hasKey) {
          // Nothing unique would make LiveDesk refuse a second copy, so a resend could duplicate it.
          throw new AbortError(
            new Settled(
              failed(
                'unconfirmed',
                `${c.message}; the request may have created the contact, and with no email, phone or identifier a resend could create it twice: check LiveDesk before importing this row again`,
              ),
            ),
          );
        }
        throw new Retryable(c);
    }
  };

  try {
    return await pRetry(attempt, {
      retries: ctx.retries,
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        if (!(error instanceof Retryable) || retriesLeft <= 0 || ctx.stop.aborted) return;
        ctx.stats.retries++;
        const delay = retryDelayMs(attemptNumber, error.c.retryAfterMs, ctx.backoff ?? DEFAULT_BACKOFF);
        if (error.c.retryAfterMs !== undefined) ctx.pacer.pauseFor(delay);
        ctx.onRetry?.(row.row, error.c, delay);
        await sleep(delay, ctx.stop);
      },
    });
  } catch (err) {
    if (err instanceof Settled) return err.result;
    if (err instanceof Retryable) {
      if (ctx.stop.aborted && !ambiguous) return { kind: 'notSent', row: row.row };
      return failed(err.c.code, `${err.c.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    }
    throw err;
  }
}
