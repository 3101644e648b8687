// --dry-run --check-existing: look a row up in LiveDesk, read-only, to tell a person before the
// real run which rows would be created and which contacts already exist.
import type { ValidRow } from '../types.js';
import { findExisting } from './lookup.js';
import type { SenderContext } from './sender.js';

export type CheckResult = { kind: 'existing'; contactId: string } | { kind: 'would_create' } | { kind: 'error'; message: string };

export async function checkRow(row: ValidRow, ctx: Pick<SenderContext, 'client' | 'pacer' | 'stop' | 'stats'>): Promise<CheckResult> {
  try {
    const id = await findExisting(ctx, row.contact);
    return id === undefined ? { kind: 'would_create' } : { kind: 'existing', contactId: id };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}
