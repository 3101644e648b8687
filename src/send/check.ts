// --dry-run --check-existing: look a row up in LiveDesk, read-only, to tell a person before the
// real run which rows would be created and which contacts already exist.
import type { ValidRow } from '../types.js';
import { DEFAULT_BACKOFF, retryDelayMs, sleep } from './backoff.js';
import { findExisting, LookupError } from './lookup.js';
import type { SenderContext } from './sender.js';

export type CheckResult =
  | { kind: 'existing'; contactId: string }
  | { kind: 'would_create' }
  | { kind: 'error'; message: string }
  | { kind: 'fatal'; message: string };

export async function checkRow(
  row: ValidRow,
  ctx: Pick<SenderContext, 'client' | 'pacer' | 'stop' | 'stats' | 'inboxId' | 'baseUrl' | 'retries'>,
): Promise<CheckResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      const id = await findExisting(ctx, row.contact);
      return id === undefined ? { kind: 'would_create' } : { kind: 'existing', contactId: id };
    } catch (e) {
      if (!(e instanceof LookupError)) throw e;
      if (e.c.kind === 'fatal') return { kind: 'fatal', message: e.c.message };
      if (e.c.kind !== 'retry' || attempt > ctx.retries || ctx.stop.aborted) return { kind: 'error', message: e.message };
      ctx.stats.retries++;
      const delay = retryDelayMs(attempt, e.c.retryAfterMs, DEFAULT_BACKOFF);
      if (e.c.retryAfterMs !== undefined) ctx.pacer.pauseFor(delay);
      await sleep(delay, ctx.stop);
    }
  }
}
