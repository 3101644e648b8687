// The outcomes the send stage builds for a row, in one place for the sender, the settling after
// "already been taken" or an unread answer, and the check.
import type { ErrorCode } from '../errors.js';
import type { Failed, Landed, Outcome, ValidRow } from '../types.js';
import type { ClassifyContext, NotLanded } from './classify.js';
import type { RequestContext, Stopped } from './request.js';

/** Credentials refused, inbox unknown, a redirect: nothing more will succeed, the run stops. */
export interface Fatal {
  kind: 'fatal';
  row: number;
  message: string;
}

export type SendResult = Outcome | Fatal;

export function classifyContext(ctx: RequestContext): ClassifyContext {
  return { inboxId: String(ctx.inboxId), baseUrl: ctx.baseUrl, now: Date.now() };
}

/** The run stops (fatal) or has stopped: the row is not settled here. */
export function ended(row: ValidRow, answer: Extract<NotLanded, { kind: 'fatal' }> | Stopped): SendResult {
  return answer.kind === 'fatal' ? { kind: 'fatal', row: row.row, message: answer.message } : notSent(row);
}

export function notSent(row: ValidRow): Outcome {
  return { kind: 'notSent', row: row.row };
}

export function failed(row: ValidRow, code: ErrorCode, message: string, field?: string): Failed {
  const f: Failed = { kind: 'failed', row: row.row, values: row.values, contact: row.contact, code, message };
  if (field !== undefined) {
    f.field = field;
    const value = (row.contact as Record<string, unknown>)[field];
    if (typeof value === 'string') f.value = value;
  }
  return f;
}

export function landed<K extends 'created' | 'existing' | 'updated' | 'unchanged'>(kind: K, row: ValidRow, contactId: string, note?: string): Landed<K> {
  const o = { kind, row: row.row, values: row.values, contact: row.contact, contactId } as Landed<K>;
  // The map stage's note (an extension removed, a phone left out) comes after the send stage's own.
  const all = row.note === undefined ? note : note === undefined ? row.note : `${note}; ${row.note}`;
  if (all !== undefined) o.note = all;
  return o;
}

export function isLanded(o: SendResult): o is Landed<'created' | 'existing' | 'updated'> {
  return o.kind === 'created' || o.kind === 'existing' || o.kind === 'updated';
}
