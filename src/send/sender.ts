// One valid row → its outcome in LiveDesk. The decision table, in order:
//   create answered with an ID            → created
//   create answered "already been taken"  → search for the holder, then by --on-existing (and by
//                                            whether our own earlier request may have made it):
//                                            existing / updated / already_exists / rejected
//   create refused for the row's data     → failed (rejected, bad_response)
//   no answer and no unique key           → unconfirmed (a resend could create a second copy)
//   retries used up                       → failed with the last reason
//   credentials refused, inbox unknown    → fatal: the run stops
//   the run stopped first                 → notSent (--resume settles it)
import type { OnExisting } from '../options.js';
import type { ContactFields, Failed, Landed, Outcome, ValidRow } from '../types.js';
import type { ErrorCode } from '../errors.js';
import { classifyAnswer, type NotLanded } from './classify.js';
import type { KeyLock } from './key-lock.js';
import { findExisting } from './lookup.js';
import { request, type RequestContext, type Stopped } from './request.js';

export interface SenderContext extends RequestContext {
  keyLock: KeyLock;
  onExisting: OnExisting;
  /** Called once, right before a row's first request (the journal's "sent" mark). */
  markSent: (row: number) => void;
}

/** Credentials refused, inbox unknown, a redirect: nothing more will succeed, the run stops. */
export interface Fatal {
  kind: 'fatal';
  row: number;
  message: string;
}

export type SendResult = Outcome | Fatal;

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
  // Only email and identifier have unique indexes: a resend racing a create that is still in
  // progress is refused only for them, so a phone-only row is as unprotected as a name-only one.
  const resendSafe = Boolean(row.contact.email || row.contact.identifier);
  if (maybeSent && !resendSafe) return failed(row, 'unconfirmed', `sent by the run that was stopped, with no answer: ${UNCONFIRMED}`);
  const release = await ctx.keyLock.acquire(uniqueKeys(row.contact));
  try {
    return await create(row, ctx, resendSafe, maybeSent);
  } finally {
    release();
  }
}

async function create(row: ValidRow, ctx: SenderContext, resendSafe: boolean, maybeSent: boolean): Promise<SendResult> {
  if (ctx.stop.aborted) return notSent(row);
  let ambiguous = maybeSent;
  const { answer, attempts } = await request(ctx, {
    // The journal's sent mark goes out before the first request, never for a row that waited for
    // its slot and was then stopped.
    beforeSend: (attempt) => attempt === 1 && ctx.markSent(row.row),
    send: () => ctx.client.createContact({ inbox_id: ctx.inboxId, ...row.contact }),
    read: readContactId(ctx),
    mayRetry: (c) => {
      if (c.ambiguous) ambiguous = true;
      // Nothing unique would make LiveDesk refuse a second copy, so a resend could duplicate it.
      return !(ambiguous && !resendSafe);
    },
  });
  switch (answer.kind) {
    case 'success':
      return landed('created', row, answer.contactId);
    case 'row':
      if (answer.taken) return settleTaken(row, ctx, answer, ambiguous);
      return failed(row, answer.code, answer.message, answer.field);
    case 'retry':
      if (ambiguous && !resendSafe) return failed(row, 'unconfirmed', `${answer.message}; ${UNCONFIRMED}`);
      return failed(row, answer.code, `${answer.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    default:
      return ended(row, answer);
  }
}

/** LiveDesk said the email, phone or identifier is taken: find who has it and settle the row. */
async function settleTaken(row: ValidRow, ctx: SenderContext, taken: Extract<NotLanded, { kind: 'row' }>, ambiguous: boolean): Promise<SendResult> {
  const { message, field } = taken;
  const search = await findExisting(ctx, row.contact);
  if (search.kind !== 'searched') {
    if (search.kind === 'row' || search.kind === 'retry') return failed(row, search.kind === 'row' ? 'rejected' : search.code, `${message}; ${search.message}`, field);
    return ended(row, search);
  }
  const found = search.id;
  if (ambiguous && ctx.onExisting !== 'update') {
    // Our own earlier request (no answer, or a stopped run) most likely created it. With
    // --on-existing update the update is sent anyway: it is harmless if we created the contact,
    // and it may be what a stopped run had not finished.
    return found !== undefined ? landed('existing', row, found) : failed(row, 'rejected', `${message}; the contact could not be found by search to record its ID`, field);
  }
  if (ctx.onExisting === 'fail') {
    return failed(row, 'already_exists', `${message}${found !== undefined ? ` (LiveDesk contact ${found})` : ''}; --on-existing fail was chosen`, field);
  }
  if (found === undefined) return failed(row, 'rejected', `${message}; no contact with this email, phone or identifier was found by search`, field);
  if (ctx.onExisting === 'skip') return landed('existing', row, found);

  const { answer, attempts } = await request(ctx, { send: () => ctx.client.updateContact(found, row.contact), read: readContactId(ctx) });
  switch (answer.kind) {
    case 'success':
      return landed('updated', row, found);
    case 'row':
      return failed(row, answer.code, `updating LiveDesk contact ${found}: ${answer.message}`, answer.field);
    case 'retry':
      return failed(row, answer.code, `updating LiveDesk contact ${found}: ${answer.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    default:
      return ended(row, answer);
  }
}

function readContactId(ctx: RequestContext): (a: Parameters<typeof classifyAnswer>[0]) => ReturnType<typeof classifyAnswer> {
  return (a) => classifyAnswer(a, { inboxId: String(ctx.inboxId), baseUrl: ctx.baseUrl, now: Date.now() });
}

/** The run stops (fatal) or has stopped: the row is not settled here. */
function ended(row: ValidRow, answer: Extract<NotLanded, { kind: 'fatal' }> | Stopped): SendResult {
  return answer.kind === 'fatal' ? { kind: 'fatal', row: row.row, message: answer.message } : notSent(row);
}

function notSent(row: ValidRow): Outcome {
  return { kind: 'notSent', row: row.row };
}

function failed(row: ValidRow, code: ErrorCode, message: string, field?: string): Failed {
  const f: Failed = { kind: 'failed', row: row.row, values: row.values, contact: row.contact, code, message };
  if (field !== undefined) {
    f.field = field;
    const value = (row.contact as Record<string, unknown>)[field];
    if (typeof value === 'string') f.value = value;
  }
  return f;
}

function landed<K extends 'created' | 'existing' | 'updated'>(kind: K, row: ValidRow, contactId: string): Landed<K> {
  return { kind, row: row.row, values: row.values, contact: row.contact, contactId } as Landed<K>;
}
