// What the state store knows of a row, before any request (issue 13): the contact LiveDesk holds
// from us under the row's keys, and whether the fields we last sent it are the row's. Pure: the
// store supplies the candidates, identity.ts judges them, and keys that contradict the store are
// left for LiveDesk to decide — never guessed.
import { createHash } from 'node:crypto';
import type { ContactPayload } from '../types.js';
import { judge, type UniqueKey } from './identity.js';

/** A contact as the store knows it (the shape of src/state's KnownContact). */
export interface Known {
  id: string;
  fingerprint: string;
  identifier?: string;
  email?: string;
  phone_number?: string;
}

export type KnownDecision =
  /** The store knows no contact under the row's keys: LiveDesk decides (a create, as without a store). */
  | { kind: 'unknown' }
  /** The store's contact is the row's: `same` when the fields last sent are the row's. */
  | { kind: 'known'; contact: Known; same: boolean }
  /** The row's keys lead to a contact that disagrees with it, or to two contacts: LiveDesk decides. */
  | { kind: 'contested' };

const FIELDS = ['name', 'email', 'phone_number', 'avatar_url', 'identifier'] as const;

function sortedEntries(o: Record<string, string> | undefined): Array<[string, string]> | undefined {
  return o === undefined ? undefined : Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The fields a create or update sends, as one short hash: equal when LiveDesk was last sent exactly
 * these values (attributes in any key order). 96 bits: a collision would only make a changed row
 * look unchanged, with odds of about n²/2⁹⁷ over n contacts.
 */
export function fingerprint(c: ContactPayload): string {
  const parts: unknown[] = FIELDS.map((f) => c[f] ?? null);
  parts.push(sortedEntries(c.custom_attributes) ?? null, sortedEntries(c.additional_attributes) ?? null);
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

/** The store's candidates for the row's keys → what the store can decide on its own. */
export function decideKnown(row: ContactPayload, found: Partial<Record<UniqueKey, Known>>): KnownDecision {
  const candidates = new Map<string, Known>();
  for (const c of Object.values(found)) if (c !== undefined) candidates.set(c.id, c);
  if (candidates.size === 0) return { kind: 'unknown' };
  // Two contacts under one row's keys (its email is A's, its identifier B's): not ours to pick.
  if (candidates.size > 1) return { kind: 'contested' };
  const contact = [...candidates.values()][0]!;
  // A key of the row that the store does not hold on this contact (a new identifier, a new phone)
  // may be another contact's in LiveDesk: that is for LiveDesk to say.
  for (const k of ['identifier', 'email', 'phone_number'] as const) if (row[k] && found[k] === undefined) return { kind: 'contested' };
  const verdict = judge(row, contact);
  if (verdict?.kind !== 'same') return { kind: 'contested' };
  return { kind: 'known', contact, same: contact.fingerprint !== '' && contact.fingerprint === fingerprint(row) };
}
