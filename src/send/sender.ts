// Send one valid row to LiveDesk and decide its outcome: pace, retry with backoff, and settle the
// cases where LiveDesk already has the contact — because of our own earlier request that got no
// answer, or because it was there before (--on-existing).
import pRetry, { AbortError } from 'p-retry';
import type { OnExisting } from '../options.js';
import type { ContactFields, ErrorCode, Outcome, ValidRow } from '../types.js';
import { DEFAULT_BACKOFF, retryDelayMs, sleep, type BackoffPolicy } from './backoff.js';
import { classifyAnswer, classifyError, type Classified } from './classify.js';
import type { LiveDeskClient } from './client.js';
import { findExisting, LookupError } from './lookup.js';
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
  onExisting: OnExisting;
  /** Aborted when the run stops: no new attempt starts, waits end early. */
  stop: AbortSignal;
  stats: SendStats;
  /** Called once, right before a row's first request (the journal's "sent" mark). */
  markSent: (row: number) => void;
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

const UNCONFIRMED =
  'the request may have created the contact, and with no email or identifier a resend could create it twice: check LiveDesk before importing this row again';

/**
 * @param maybeSent the row was sent by an earlier run that stopped before its answer (--resume):
 *   treat LiveDesk's "already taken" as our own contact, and never resend a row without keys.
 */
export async function sendRow(row: ValidRow, ctx: SenderContext, maybeSent = false): Promise<SendResult> {
  const keys = uniqueKeys(row.contact);
  // Only email and identifier have unique indexes: a resend racing a create that is still in
  // progress is refused only for them, so a phone-only row is as unprotected as a name-only one.
  const resendSafe = Boolean(row.contact.email || row.contact.identifier);
  if (maybeSent && !resendSafe) return failedRow(row, 'unconfirmed', `sent by the run that was stopped, with no answer: ${UNCONFIRMED}`);
  const release = await ctx.keyLock.acquire(keys);
  try {
    return await attemptWithRetries(row, resendSafe, maybeSent, ctx);
  } finally {
    release();
  }
}

function failedRow(row: ValidRow, code: ErrorCode, message: string): Outcome {
  return { kind: 'failed', row: row.row, values: row.values, contact: row.contact, code, message };
}

function landed(kind: 'created' | 'existing' | 'updated', row: ValidRow, contactId: string): Outcome {
  return { kind, row: row.row, values: row.values, contact: row.contact, contactId };
}

async function attemptWithRetries(row: ValidRow, hasKey: boolean, maybeSent: boolean, ctx: SenderContext): Promise<SendResult> {
  const body = { inbox_id: ctx.inboxId, ...row.contact };
  const classifyCtx = { inboxId: String(ctx.inboxId), baseUrl: ctx.baseUrl };
  let ambiguous = maybeSent;
  let attempts = 0;

  const request = async (send: () => Promise<import('./client.js').HttpAnswer>): Promise<Classified> => {
    await ctx.pacer.take(ctx.stop);
    if (ctx.stop.aborted) throw new AbortError(new Settled({ kind: 'notSent', row: row.row }));
    ctx.stats.requests++;
    let c: Classified;
    try {
      c = classifyAnswer(await send(), { ...classifyCtx, now: Date.now() });
    } catch (err) {
      c = classifyError(err);
    }
    if (c.kind === 'retry' && c.code === 'rate_limited') ctx.pacer.throttled();
    else if (c.kind !== 'retry') ctx.pacer.succeeded();
    return c;
  };

  /** LiveDesk said the email, phone or identifier is taken: find who has it and settle the row. */
  const settleTaken = async (message: string): Promise<Outcome> => {
    let found: string | undefined;
    try {
      found = await findExisting(ctx, row.contact);
    } catch (e) {
      if (!(e instanceof LookupError)) throw e;
      // A busy or flaky search: retry the whole attempt (the create will be "taken" again).
      if (e.c.kind === 'retry') throw new Retryable(e.c);
      if (e.c.kind === 'fatal') throw new AbortError(new Settled({ kind: 'fatal', row: row.row, message: e.c.message }));
      return failedRow(row, 'rejected', `${message}; ${e.message}`);
    }
    if (ambiguous && ctx.onExisting !== 'update') {
      // Our own earlier request (no answer, or a stopped run) most likely created it. With
      // --on-existing update the update is sent anyway: it is harmless if we created the contact,
      // and it may be what a stopped run had not finished.
      return found !== undefined ? landed('existing', row, found) : failedRow(row, 'rejected', `${message}; the contact could not be found by search to record its ID`);
    }
    if (ctx.onExisting === 'fail') {
      return failedRow(row, 'already_exists', `${message}${found !== undefined ? ` (LiveDesk contact ${found})` : ''}; --on-existing fail was chosen`);
    }
    if (found === undefined) return failedRow(row, 'rejected', `${message}; no contact with this email, phone or identifier was found by search`);
    if (ctx.onExisting === 'skip') return landed('existing', row, found);
    const { inbox_id: _inbox, ...fields } = body;
    const u = await request(() => ctx.client.updateContact(found, fields));
    if (u.kind === 'success') return landed('updated', row, found);
    if (u.kind === 'retry') throw new Retryable(u);
    if (u.kind === 'fatal') throw new AbortError(new Settled({ kind: 'fatal', row: row.row, message: u.message }));
    return failedRow(row, u.code, `updating LiveDesk contact ${found}: ${u.message}`);
  };

  const attempt = async (): Promise<SendResult> => {
    if (ctx.stop.aborted) throw new AbortError(new Settled({ kind: 'notSent', row: row.row }));
    if (attempts === 0) ctx.markSent(row.row);
    attempts++;
    const c = await request(() => ctx.client.createContact(body));
    switch (c.kind) {
      case 'success':
        return landed('created', row, c.contactId);
      case 'fatal':
        throw new AbortError(new Settled({ kind: 'fatal', row: row.row, message: c.message }));
      case 'row':
        if (c.taken) return settleTaken(c.message);
        throw new AbortError(new Settled(failedRow(row, c.code, c.message)));
      case 'retry':
        if (c.ambiguous) ambiguous = true;
        if (ambiguous && !hasKey) {
          // Nothing unique would make LiveDesk refuse a second copy, so a resend could duplicate it.
          throw new AbortError(new Settled(failedRow(row, 'unconfirmed', `${c.message}; ${UNCONFIRMED}`)));
        }
        throw new Retryable(c);
    }
  };

  const onFailedAttempt = async (error: Error, attemptNumber: number, retriesLeft: number): Promise<void> => {
    if (!(error instanceof Retryable) || retriesLeft <= 0 || ctx.stop.aborted) return;
    ctx.stats.retries++;
    const delay = retryDelayMs(attemptNumber, error.c.retryAfterMs, ctx.backoff ?? DEFAULT_BACKOFF);
    if (error.c.retryAfterMs !== undefined) ctx.pacer.pauseFor(delay);
    ctx.onRetry?.(row.row, error.c, delay);
    await sleep(delay, ctx.stop);
  };

  try {
    // p-retry sets up per call (options, an abort listener, a timer check), which the bench showed
    // on a row that never needs it: the first attempt runs bare, and only a row that fails it
    // gets the retry loop, with the same policy as if p-retry had run from the start.
    try {
      return await attempt();
    } catch (e) {
      if (e instanceof AbortError) throw e.originalError;
      if (!(e instanceof Error) || e instanceof TypeError || ctx.retries === 0) throw e;
      await onFailedAttempt(e, 1, ctx.retries);
    }
    return await pRetry(attempt, {
      retries: ctx.retries - 1,
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => onFailedAttempt(error, attemptNumber + 1, retriesLeft),
    });
  } catch (err) {
    if (err instanceof Settled) return err.result;
    if (err instanceof Retryable) {
      // Stopped between retries: the row goes back to "not sent" for --resume, which knows from
      // the journal's sent mark that the earlier request may have landed.
      if (ctx.stop.aborted) return { kind: 'notSent', row: row.row };
      return failedRow(row, err.c.code, `${err.c.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    }
    throw err;
  }
}
