// A create that did not simply answer with an ID, settled by looking the contact up: "already been
// taken" (whose contact holds the key, and is it the row's?) and a 2xx whose ID could not be read
// (the status says it was stored: find its ID). Who the holder is decides, by keys that agree
// (identity.ts); --on-existing decides what to do with the row's own contact; a holder that
// contradicts the row is never recorded as it, updated, or counted as it.
import type { ContactPayload, ValidRow } from '../types.js';
import { classifyUpdate, type NotLanded } from './classify.js';
import { conflictAdvice, conflictText, KEY_LABEL, keysOf, searchKeysFor, type UniqueKey } from './identity.js';
import { findHolder, type Holder } from './lookup.js';
import { classifyContext, ended, failed, isLanded, landed, type SendResult } from './outcomes.js';
import { request } from './request.js';
import type { SenderContext } from './sender.js';

type RowAnswer = Extract<NotLanded, { kind: 'row' }>;

/** Sends the row's create again (the same row without its phone); no second sent mark. */
export type Recreate = (row: ValidRow, ambiguous: boolean) => Promise<SendResult>;

/**
 * LiveDesk said a key is taken: find who holds it and settle the row.
 * @param ambiguous our own earlier request (no answer, or a stopped run) may have created it.
 */
export async function settleTaken(row: ValidRow, ctx: SenderContext, taken: RowAnswer, ambiguous: boolean, recreate: Recreate): Promise<SendResult> {
  const { message, field } = taken;
  const search = await findHolder(ctx, row.contact, searchKeysFor(row.contact, taken.takenKeys));
  if (search.kind !== 'searched') {
    if (search.kind === 'row' || search.kind === 'retry') {
      const f = failed(row, search.kind === 'row' ? 'rejected' : search.code, `${message}; ${search.message}`, field);
      // A resume settles it by search again: it must still know our own request may have made it.
      return ambiguous ? { ...f, ambiguous } : f;
    }
    return ended(row, search);
  }
  const holder = search.holder;
  if (holder?.verdict.kind === 'same') ctx.ids?.note(holder.id, row.row);
  if (holder?.verdict.kind === 'conflict') return contradicted(row, ctx, holder, holder.verdict.disagrees, ambiguous, recreate);
  const found = holder?.id;
  if (ambiguous && ctx.onExisting !== 'update') {
    // Our own earlier request most likely created it (it agrees with the row on every key both
    // have). With --on-existing update the update is sent anyway: it is harmless if we created
    // the contact, and it may be what a stopped run had not finished.
    // Our own create made it: it holds the row's fields.
    return found !== undefined ? { ...landed('existing', row, found), held: heldKeys(holder!.contact), exact: true } : failed(row, 'rejected', `${message}; the contact could not be found by search to record its ID`, field);
  }
  if (ctx.onExisting === 'fail') {
    return failed(row, 'already_exists', `${message}${found !== undefined ? ` (LiveDesk contact ${found})` : ''}; --on-existing fail was chosen`, field);
  }
  if (found === undefined) return failed(row, 'rejected', `${message}; no contact with this ${searchedText(row, taken.takenKeys)} was found by search`, field);
  if (ctx.onExisting === 'skip') return { ...landed('existing', row, found), held: heldKeys(holder!.contact) };
  // Requests are the currency: a PATCH that would change nothing is not sent.
  if (holder !== undefined && holdsAlready(row.contact, holder.contact)) {
    return { ...landed('unchanged', row, found, 'LiveDesk already holds these fields: no update sent'), held: heldKeys(holder.contact), exact: true };
  }
  return update(row, ctx, found);
}

/**
 * Whether the contact a search returned already has every field the row would send (custom and
 * additional attributes are merged by LiveDesk, so only the row's own keys count). A field the
 * search does not show (avatar_url) counts as different: the PATCH is sent.
 */
export function holdsAlready(row: ContactPayload, c: Record<string, unknown>): boolean {
  for (const f of ['name', 'email', 'phone_number', 'identifier', 'avatar_url'] as const) {
    const mine = row[f];
    if (mine === undefined) continue;
    const theirs = c[f];
    if (typeof theirs !== 'string') return false;
    if (f === 'email' ? theirs.toLowerCase() !== mine.toLowerCase() : theirs !== mine) return false;
  }
  for (const group of ['custom_attributes', 'additional_attributes'] as const) {
    const mine = row[group];
    if (mine === undefined) continue;
    const theirs = c[group];
    if (typeof theirs !== 'object' || theirs === null) return false;
    for (const [k, v] of Object.entries(mine)) if (String((theirs as Record<string, unknown>)[k] ?? '') !== v) return false;
  }
  return true;
}

function searchedText(row: ValidRow, taken: readonly UniqueKey[] | undefined): string {
  return searchKeysFor(row.contact, taken)
    .map((k) => KEY_LABEL[k])
    .join(' or ');
}

/** The holder is someone else: a phone may be left out (--phone-taken omit); any other key fails the row. */
async function contradicted(row: ValidRow, ctx: SenderContext, holder: Holder, disagrees: UniqueKey, ambiguous: boolean, recreate: Recreate): Promise<SendResult> {
  const lacking = holder.verdict.kind === 'conflict' && holder.verdict.lacking === true;
  const text = `${conflictText(row.contact, holder.id, holder.key, disagrees, lacking)}: ${conflictAdvice(holder.key, disagrees, holder.id)}`;
  if (holder.key !== 'phone_number') return failed(row, 'key_conflict', text, holder.key);
  if (ctx.phoneTaken !== 'omit') return failed(row, 'phone_taken', text, 'phone_number');
  const { phone_number: phone, ...rest } = row.contact;
  const note = `phone number ${phone ?? ''} left out: LiveDesk contact ${holder.id} holds it (--phone-taken omit)`;
  const out = await recreate({ ...row, contact: rest }, ambiguous);
  if (isLanded(out)) return { ...out, note: out.note === undefined ? note : `${note}; ${out.note}`, leftOut: 'phone_number' };
  if (out.kind === 'failed') return { ...out, message: `${note}; then: ${out.message}` };
  return out;
}

/**
 * A 2xx without a readable ID: the status says LiveDesk stored the contact, so its keys find it.
 * Only email and identifier can: a phone may be held by someone else, and a row with neither is
 * left for the person to check (a resend could create it twice).
 */
export async function settleUnread(row: ValidRow, ctx: SenderContext, answer: RowAnswer & { unread: string }): Promise<SendResult> {
  const keys = keysOf(row.contact).filter((k) => k !== 'phone_number');
  if (keys.length === 0) return failed(row, 'bad_response', answer.message);
  const search = await findHolder(ctx, row.contact, keys);
  if (search.kind !== 'searched') {
    if (search.kind === 'row' || search.kind === 'retry') return failed(row, 'bad_response', `${answer.message}; looking it up to record its ID failed: ${search.message}`);
    return ended(row, search);
  }
  const holder = search.holder;
  const by = keys.map((k) => KEY_LABEL[k]).join(' or ');
  if (holder === undefined) return failed(row, 'bad_response', `${answer.message} (no contact with this ${by} was found by search)`);
  if (holder.verdict.kind === 'conflict') {
    return failed(row, 'bad_response', `${answer.message} (a search found ${conflictText(row.contact, holder.id, holder.key, holder.verdict.disagrees, holder.verdict.lacking)})`);
  }
  ctx.ids?.note(holder.id, row.row);
  return { ...landed('created', row, holder.id, `${answer.unread}; its ID was found by searching its ${KEY_LABEL[holder.key]}`), held: heldKeys(holder.contact) };
}

/** --on-existing update: the row's fields to the contact that agrees with it. */
/** The keys a contact from a search holds, as LiveDesk holds them. */
export function heldKeys(c: Record<string, unknown>): { identifier?: string; email?: string; phone_number?: string } {
  const out: { identifier?: string; email?: string; phone_number?: string } = {};
  for (const k of ['identifier', 'email', 'phone_number'] as const) {
    const v = c[k];
    if (typeof v === 'string' && v !== '') out[k] = k === 'email' ? v.toLowerCase() : v;
  }
  return out;
}

export async function update(row: ValidRow, ctx: SenderContext, id: string): Promise<SendResult> {
  // A PATCH that times out may still be applied: the store must not keep vouching for the old
  // fields meanwhile (a later night with those fields would be taken as unchanged).
  await ctx.state?.beforeUpdate(id);
  const { answer, attempts } = await request(ctx, {
    row: row.row,
    send: () => ctx.client.updateContact(id, row.contact),
    read: (a) => classifyUpdate(a, id, classifyContext(ctx)),
  });
  switch (answer.kind) {
    case 'success':
      ctx.ids?.note(id, row.row);
      return landed('updated', row, id);
    case 'row':
      // not_found and bad_response name the contact already.
      return failed(row, answer.code, answer.code === 'rejected' ? `updating LiveDesk contact ${id}: ${answer.message}` : answer.message, answer.field);
    case 'retry':
      return failed(row, answer.code, `updating LiveDesk contact ${id}: ${answer.message} (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`);
    default:
      return ended(row, answer);
  }
}
