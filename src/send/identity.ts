// Identity by keys that agree (ARCHITECTURE.md, "Runs, identity and files"): a contact LiveDesk
// holds is the row's contact only when the strongest key both have matches and no other key
// contradicts it. LiveDesk refuses a row whose email, phone or identifier another contact holds,
// but that contact may be someone else: a shared office phone, a family email with two CRM
// records. Taking it for the row would record another person's ID, and --on-existing update would
// overwrite them. Pure: the sender and the check ask, the search supplies the candidates.
import type { ContactFields } from '../types.js';

export type UniqueKey = 'identifier' | 'email' | 'phone_number';

/** Strongest first: an identifier is the CRM's own record ID; a phone is often shared. */
export const KEY_ORDER: readonly UniqueKey[] = ['identifier', 'email', 'phone_number'];

/** Keys that, present on both sides and different, say "another person". A phone never does: people change numbers. */
const CONTRADICTING: readonly UniqueKey[] = ['identifier', 'email'];

export const KEY_LABEL: Record<UniqueKey, string> = { identifier: 'identifier', email: 'email', phone_number: 'phone number' };

/** A contact as a search returns it: any field may be missing, null or of another type. */
export type Candidate = Partial<Record<UniqueKey | 'id', unknown>>;

export type Verdict =
  /** The row's contact: `key` is the strongest key both have, and it matches. */
  | { kind: 'same'; key: UniqueKey }
  /**
   * Someone else: both have `disagrees` and the values differ — or (`lacking`) they share only a
   * phone, and the contact has a `disagrees` the row lacks: a phone alone does not prove it is the
   * row's contact, and taking it for the row could overwrite another person.
   */
  | { kind: 'conflict'; disagrees: UniqueKey; lacking?: true };

function valueOf(c: Candidate | ContactFields, key: UniqueKey): string | undefined {
  const v = (c as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** LiveDesk's own comparison: emails case-insensitively, identifiers and E.164 phones exactly. */
export function sameValue(key: UniqueKey, a: string, b: string): boolean {
  return key === 'email' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** Whether the candidate holds the row's value for `key` (what a search hit must be to count). */
export function holds(row: ContactFields, c: Candidate, key: UniqueKey): boolean {
  const mine = valueOf(row, key);
  const theirs = valueOf(c, key);
  return mine !== undefined && theirs !== undefined && sameValue(key, mine, theirs);
}

/**
 * Judges a candidate that holds one of the row's keys. `undefined` when the two share no key that
 * matches (a search hit that is not an exact match).
 */
export function judge(row: ContactFields, c: Candidate): Verdict | undefined {
  for (const key of CONTRADICTING) {
    const mine = valueOf(row, key);
    const theirs = valueOf(c, key);
    if (mine !== undefined && theirs !== undefined && !sameValue(key, mine, theirs)) return { kind: 'conflict', disagrees: key };
  }
  const strongest = KEY_ORDER.find((k) => valueOf(row, k) !== undefined && valueOf(c, k) !== undefined);
  if (strongest === undefined || !holds(row, c, strongest)) return undefined;
  if (strongest === 'phone_number') {
    const lacks = CONTRADICTING.find((k) => valueOf(row, k) === undefined && valueOf(c, k) !== undefined);
    if (lacks !== undefined) return { kind: 'conflict', disagrees: lacks, lacking: true };
  }
  return { kind: 'same', key: strongest };
}

/** The row's keys, strongest first. */
export function keysOf(row: ContactFields): UniqueKey[] {
  return KEY_ORDER.filter((k) => valueOf(row, k) !== undefined);
}

/**
 * Which keys to look the holder up by after "already been taken": the keys LiveDesk named that the
 * row has, strongest first; every key of the row when it named none we can use (an older
 * Chatwoot's message we could not read, a wording we do not know).
 */
export function searchKeysFor(row: ContactFields, taken: readonly UniqueKey[] | undefined): UniqueKey[] {
  const mine = keysOf(row);
  const named = mine.filter((k) => taken?.includes(k));
  return named.length > 0 ? named : mine;
}

/** What a holder that contradicts the row means, in the person's terms (failure message or check note). */
export function conflictText(row: ContactFields, holderId: string, matched: UniqueKey, disagrees: UniqueKey, lacking = false): string {
  if (matched === 'phone_number' && lacking) {
    return `phone number ${row.phone_number ?? ''} is held by LiveDesk contact ${holderId}, which has an ${KEY_LABEL[disagrees]} this row does not: a shared phone alone does not prove it is this row's contact`;
  }
  if (matched === 'phone_number') {
    return `phone number ${row.phone_number ?? ''} is held by LiveDesk contact ${holderId}, a different person (its ${KEY_LABEL[disagrees]} differs from this row's)`;
  }
  return `LiveDesk contact ${holderId} has this row's ${KEY_LABEL[matched]} (${row[matched] ?? ''}) but a different ${KEY_LABEL[disagrees]}, so it is not this row's contact`;
}

/** What to do about a conflict, for the failures file. */
export function conflictAdvice(matched: UniqueKey, disagrees: UniqueKey, holderId: string): string {
  if (matched === 'phone_number') {
    return `not created: correct the row's phone number, or import it with --phone-taken omit to create the contact without it`;
  }
  return `not created and contact ${holderId} left unchanged: check both in LiveDesk, correct the row's ${KEY_LABEL[matched]} or ${KEY_LABEL[disagrees]} (or the contact), then import the row again`;
}
