// One valid row → its outcome in LiveDesk. The decision table, in order:
//   the state store knows the row's contact (keys that agree; known.ts), before any request:
//     the same fields as last sent        → unchanged (nothing sent)
//     changed                             → --on-existing update: a PATCH by the known ID (404:
//                                            deleted in LiveDesk, so created again); skip:
//                                            existing; fail: already_exists
//   create answered with an ID            → created
//   create answered "already been taken"  → find the contact holding the key LiveDesk named
//                                            (settle.ts), judged by keys that agree (identity.ts):
//                                            the row's own → by --on-existing (and by whether our
//                                            own earlier request may have made it): existing /
//                                            updated / already_exists; someone else's → phone_taken
//                                            (or, --phone-taken omit, created without the phone) /
//                                            key_conflict; nobody found → rejected
//   create answered 2xx, ID unreadable    → found by email/identifier: created; else bad_response
//   create refused for the row's data     → failed (rejected)
//   no answer and no unique key           → unconfirmed (a resend could create a second copy)
//   retries used up                       → failed with the last reason
//   credentials refused, inbox unknown    → fatal: the run stops
//   the run stopped first                 → notSent (--resume settles it)
import type { OnExisting } from '../options.js';
import type { ContactFields, ContactPayload, ValidRow } from '../types.js';
import type { KnownDecision } from './known.js';
import { classifyAnswer } from './classify.js';
import type { ContactIds } from './contact-id.js';
import type { KeyLock } from './key-lock.js';
import { classifyContext, ended, failed, landed, notSent, type SendResult } from './outcomes.js';
import { request, type RequestContext } from './request.js';
import { settleTaken, settleUnread, update } from './settle.js';

export type { Fatal, SendResult } from './outcomes.js';

/** --phone-taken: a row whose phone another contact holds is failed, or created without it. */
export type PhoneTaken = 'fail' | 'omit';

export interface SenderContext extends RequestContext {
  /** What the state store knows of a row (absent without a store, or with --full). */
  known?: (contact: ContactPayload) => KnownDecision;
  /** The state store's part in updates: forget the fields it vouches for before a PATCH, and a contact LiveDesk no longer has. */
  state?: { beforeUpdate(id: string): Promise<void>; forget(id: string): void };
  keyLock: KeyLock;
  onExisting: OnExisting;
  phoneTaken: PhoneTaken;
  /** Called once, right before a row's first request (the journal's "sent" mark). */
  markSent: (row: number) => void;
  /** Which row each contact ID LiveDesk answered went to in this run: a create answered with one already recorded is id_reused. */
  ids?: ContactIds;
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

function idReusedMessage(id: string, earlier: number): string {
  return (
    `LiveDesk answered this row's create with contact ID ${id}, the ID it gave row ${earlier} earlier in this run: ` +
    'a new contact cannot have another row\'s ID, so LiveDesk or something in front of it (a proxy, a cache) answered wrongly. ' +
    `This row may or may not have been stored: check contact ${id} and this row's email or phone in LiveDesk before importing it again`
  );
}

/**
 * @param maybeSent the row was sent by an earlier run that stopped before its answer (--resume):
 *   treat LiveDesk's "already taken" as our own contact, and never resend a row without keys.
 * @param decided what the state store knows of the row, when the caller asked it already.
 */
export async function sendRow(row: ValidRow, ctx: SenderContext, maybeSent = false, decided?: KnownDecision): Promise<SendResult> {
  // Only email and identifier have unique indexes: a resend racing a create that is still in
  // progress is refused only for them, so a phone-only row is as unprotected as a name-only one.
  const resendSafe = Boolean(row.contact.email || row.contact.identifier);
  const known = decided ?? ctx.known?.(row.contact);
  if (known?.kind === 'known' && known.same) return landed('unchanged', row, known.contact.id);
  if (maybeSent && !resendSafe) return failed(row, 'unconfirmed', `sent by the run that was stopped, with no answer: ${UNCONFIRMED}`);
  const release = await ctx.keyLock.acquire(uniqueKeys(row.contact));
  try {
    if (known?.kind === 'known') {
      const settled = await settleKnown(row, ctx, known.contact.id);
      if (settled !== undefined) return settled;
    }
    return await create(row, ctx, resendSafe, maybeSent, true);
  } finally {
    release();
  }
}

/** The store's contact is the row's, with other fields than last sent; undefined: create it (deleted in LiveDesk). */
async function settleKnown(row: ValidRow, ctx: SenderContext, id: string): Promise<SendResult | undefined> {
  const known = 'known from the state store';
  switch (ctx.onExisting) {
    case 'skip':
      return landed('existing', row, id, known);
    case 'fail':
      return failed(row, 'already_exists', `LiveDesk contact ${id} (${known}) has this row's keys; --on-existing fail was chosen`);
    case 'update': {
      const out = await update(row, ctx, id);
      if (out.kind !== 'failed' || out.code !== 'not_found') return out;
      // Deleted inside LiveDesk since we last sent it: the row is new again.
      ctx.state?.forget(id);
      return undefined;
    }
  }
}

/** @param first the row's first create (a second one leaves the phone out): only it marks the row sent. */
async function create(row: ValidRow, ctx: SenderContext, resendSafe: boolean, maybeSent: boolean, first: boolean): Promise<SendResult> {
  if (ctx.stop.aborted) return notSent(row);
  let ambiguous = maybeSent;
  const { answer, attempts } = await request(ctx, {
    row: row.row,
    // The journal's sent mark goes out before the first request, never for a row that waited for
    // its slot and was then stopped.
    beforeSend: (attempt) => first && attempt === 1 && ctx.markSent(row.row),
    send: () => ctx.client.createContact({ inbox_id: ctx.inboxId, ...row.contact }),
    read: (a) => classifyAnswer(a, classifyContext(ctx)),
    mayRetry: (c) => {
      if (c.ambiguous) ambiguous = true;
      // Nothing unique would make LiveDesk refuse a second copy, so a resend could duplicate it.
      return !(ambiguous && !resendSafe);
    },
  });
  switch (answer.kind) {
    case 'success': {
      // A create makes a new contact: an ID another row already has is an answer gone wrong
      // (a broken server, a proxy replaying an answer), never recorded as this row's.
      const earlier = ctx.ids?.claim(answer.contactId, row.row);
      if (earlier !== undefined) return failed(row, 'id_reused', idReusedMessage(answer.contactId, earlier));
      return landed('created', row, answer.contactId);
    }
    case 'row':
      if (answer.taken) return settleTaken(row, ctx, answer, ambiguous, (r, a) => create(r, ctx, resendSafe, a, false));
      if (answer.unread !== undefined) return settleUnread(row, ctx, { ...answer, unread: answer.unread });
      return failed(row, answer.code, answer.message, answer.field);
    case 'retry':
      if (ambiguous && !resendSafe) return failed(row, 'unconfirmed', `${answer.message}; ${UNCONFIRMED}`);
      return { ...failed(row, answer.code, `${answer.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`), ...(ambiguous ? { ambiguous } : {}) };
    default:
      return ended(row, answer);
  }
}
