// What the state store knows of a row, before any request (issue 13): the contact LiveDesk holds
// from us under the row's keys, and whether the fields we last sent it are the row's. Pure: the
// store supplies the candidates, identity.ts judges them, and keys that contradict the store are
// left for LiveDesk to decide — never guessed.
import { hash } from 'node:crypto';
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
const KEYS = ['identifier', 'email', 'phone_number'] as const;

const json = (v: unknown): string => (v === undefined || v === null ? 'null' : JSON.stringify(v));

function sortedEntries(o: Record<string, string> | undefined): Array<[string, string]> | undefined {
  return o === undefined ? undefined : Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The fields a create or update sends, as one short hash: equal when LiveDesk was last sent exactly
 * these values (attributes in any key order). SHA-256 of the fields' JSON, through the one-shot
 * `crypto.hash` (a third of `createHash`'s cost, which was ~2 µs of a rerun's row), 128 bits
 * kept: a collision would only make a changed row look unchanged, with odds of about n²/2¹²⁹ over
 * n contacts.
 */
export function fingerprint(c: ContactPayload): string {
  // JSON.stringify([...fields, custom, additional]), built without the intermediate array.
  let text = '[';
  for (const f of FIELDS) text += `${json(c[f])},`;
  text += `${json(sortedEntries(c.custom_attributes))},${json(sortedEntries(c.additional_attributes))}]`;
  return hash('sha256', text, 'base64url').slice(0, 22);
}

/** The store's candidates for the row's keys → what the store can decide on its own. */
export function decideKnown(row: ContactPayload, found: Partial<Record<UniqueKey, Known>>): KnownDecision {
  let contact: Known | undefined;
  for (const k of KEYS) {
    const c = found[k];
    if (c === undefined) continue;
    // Two contacts under one row's keys (its email is A's, its identifier B's): not ours to pick.
    if (contact !== undefined && c.id !== contact.id) return { kind: 'contested' };
    contact ??= c;
  }
  if (contact === undefined) return { kind: 'unknown' };
  // A key of the row that the store does not hold on this contact (a new identifier, a new phone)
  // may be another contact's in LiveDesk: that is for LiveDesk to say.
  for (const k of KEYS) if (row[k] && found[k] === undefined) return { kind: 'contested' };
  const verdict = judge(row, contact);
  if (verdict?.kind !== 'same') return { kind: 'contested' };
  return { kind: 'known', contact, same: contact.fingerprint !== '' && contact.fingerprint === fingerprint(row) };
}
