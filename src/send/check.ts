// --dry-run --check-existing: look a row up in LiveDesk, read-only, to tell a person before the
// real run which rows would be created and which contacts already exist.
import type { Outcome, ValidRow } from '../types.js';
import { findExisting } from './lookup.js';
import type { RequestContext } from './request.js';
import type { SendResult } from './sender.js';

export async function checkRow(row: ValidRow, ctx: RequestContext): Promise<SendResult> {
  const s = await findExisting(ctx, row.contact);
  switch (s.kind) {
    case 'searched':
      return s.id === undefined
        ? { kind: 'would_create', row: row.row, values: row.values, contact: row.contact }
        : { kind: 'existing', row: row.row, values: row.values, contact: row.contact, contactId: s.id };
    case 'fatal':
      return { kind: 'fatal', row: row.row, message: s.message };
    case 'stopped':
      return { kind: 'notSent', row: row.row } satisfies Outcome;
    default:
      // The look-up failed after its retries: the row is valid, only its status in LiveDesk is unknown.
      return { kind: 'notSent', row: row.row, reason: `could not check LiveDesk: ${s.message}` };
  }
}
