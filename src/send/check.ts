// --dry-run --check-existing: look a row up in LiveDesk, read-only, to tell a person before the
// real run which rows would be created, which contacts already exist, and which rows collide with
// another contact (a key it holds, another key that disagrees), judged as the import would judge
// them (identity.ts). With no 422 to say which key is taken, every key is searched, strongest
// first, until one has a holder.
import type { Outcome, ValidRow } from '../types.js';
import { conflictText, keysOf } from './identity.js';
import { findHolder } from './lookup.js';
import type { RequestContext } from './request.js';
import type { PhoneTaken, SendResult } from './sender.js';

export interface CheckContext extends RequestContext {
  phoneTaken: PhoneTaken;
}

export async function checkRow(row: ValidRow, ctx: CheckContext): Promise<SendResult> {
  const s = await findHolder(ctx, row.contact, keysOf(row.contact));
  switch (s.kind) {
    case 'searched': {
      const { row: n, values, contact } = row;
      const h = s.holder;
      if (h === undefined) return { kind: 'would_create', row: n, values, contact };
      if (h.verdict.kind === 'same') return { kind: 'existing', row: n, values, contact, contactId: h.id };
      const phone = h.key === 'phone_number';
      const then = !phone
        ? 'the import will fail this row as key_conflict'
        : ctx.phoneTaken === 'omit'
          ? 'the import will create it without the phone (--phone-taken omit)'
          : 'the import will fail this row as phone_taken (--phone-taken omit would create it without the phone)';
      return {
        kind: 'conflict',
        row: n,
        values,
        contact,
        holderId: h.id,
        reason: phone ? 'phone_taken' : 'key_conflict',
        note: `${conflictText(contact, h.id, h.key, h.verdict.disagrees, h.verdict.lacking)}: ${then}`,
      };
    }
    case 'fatal':
      return { kind: 'fatal', row: row.row, message: s.message };
    case 'stopped':
      return { kind: 'notSent', row: row.row } satisfies Outcome;
    default:
      // The look-up failed after its retries: the row is valid, only its status in LiveDesk is unknown.
      return { kind: 'notSent', row: row.row, reason: `could not check LiveDesk: ${s.message}` };
  }
}
