// The store's layout inside LMDB, and the one place lmdb is loaded and opened.
//
// One LMDB file per scope, three named databases:
//   contacts  contact ID → [fingerprint, identifier, email, phone, updatedAt]   (msgpack)
//   keys      'i'+identifier | 'e'+email | 'p'+phone → contact ID               (string)
//   meta      scope, format, created, lastWritten                              (msgpack)
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Database, RootDatabase } from 'lmdb';
import { StateStoreError } from './files.js';
import { checkStoreFile } from './header.js';
import type { ScopeRecord } from './scope.js';

export interface KnownContact {
  /** LiveDesk contact ID, as text. */
  id: string;
  /** Hash of the fields last sent (computed by the caller; opaque here). */
  fingerprint: string;
  identifier?: string;
  /** Lower-cased, as LiveDesk holds it. */
  email?: string;
  phone_number?: string;
  /** ms since epoch, set by the store when written. */
  updatedAt?: number;
}

export type ContactKeys = { identifier?: string; email?: string; phone_number?: string };
export type KeyKind = keyof ContactKeys;
export type FoundContacts = { identifier?: KnownContact; email?: KnownContact; phone_number?: KnownContact };

/** The file layout's version: a newer one is refused rather than misread. */
export const FORMAT = 1;

/** A contact as stored: [fingerprint, identifier, email, phone, updatedAt]. */
export type Tuple = [string, string | null, string | null, string | null, number];
export const KINDS: readonly KeyKind[] = ['identifier', 'email', 'phone_number'];
export const FIELD: Record<KeyKind, 1 | 2 | 3> = { identifier: 1, email: 2, phone_number: 3 };
const PREFIX: Record<KeyKind, string> = { identifier: 'i', email: 'e', phone_number: 'p' };
/** Keys longer than this (in UTF-16 units) are indexed by their SHA-256 (LMDB keys ≤ 1978 bytes). */
const LONG_KEY = 400;

/** The key of a contact key in the `keys` database. Look-ups compare the contact's own field too. */
export function indexKey(kind: KeyKind, value: string): string {
  if (value.length <= LONG_KEY) return PREFIX[kind] + value;
  return `${PREFIX[kind].toUpperCase()}#${createHash('sha256').update(value, 'utf8').digest('base64')}`;
}

/** Emails are compared lower-cased (LiveDesk keeps them so); identifiers and phones exactly. */
export const normalizeKey = (kind: KeyKind, value: string): string =>
  kind === 'email' ? value.toLowerCase() : value;

export function toContact(id: string, t: Tuple): KnownContact {
  const c: KnownContact = { id, fingerprint: t[0], updatedAt: t[4] };
  if (t[1] !== null) c.identifier = t[1];
  if (t[2] !== null) c.email = t[2];
  if (t[3] !== null) c.phone_number = t[3];
  return c;
}

const requireHere = createRequire(import.meta.url);
/**
 * lmdb is loaded from node_modules at run time, and only when a store is opened: it is a native
 * addon (the esbuild bundle does not follow createRequire, so it stays outside dist/ as published).
 */
const lmdb = (): typeof import('lmdb') => requireHere('lmdb') as typeof import('lmdb');

export interface Dbs {
  meta: Database<unknown, string>;
  contacts: Database<Tuple, string>;
  keys: Database<string, string>;
}

export function openEnv(file: string, readOnly: boolean): RootDatabase {
  try {
    return lmdb().open({ path: file, noSubdir: true, maxDbs: 4, readOnly });
  } catch (error) {
    throw new StateStoreError(
      `State store ${file} cannot be opened (not a state store, or damaged): ${(error as Error).message}`,
      { cause: error, code: 'state_damaged' },
    );
  }
}

export function openDbs(env: RootDatabase): Dbs {
  return {
    meta: env.openDB<unknown, string>('meta', { encoding: 'msgpack' }),
    contacts: env.openDB<Tuple, string>('contacts', { encoding: 'msgpack' }),
    keys: env.openDB<string, string>('keys', { encoding: 'string' }),
  };
}

/** Entries in a database, from LMDB's own statistics (no scan). */
export function entryCount(db: Database<Tuple, string>): number {
  const stats = db.getStats() as { entryCount?: number };
  return typeof stats.entryCount === 'number' ? stats.entryCount : db.getKeysCount();
}

export function storedScope(meta: Database<unknown, string>): ScopeRecord | undefined {
  const s = meta.get('scope') as Partial<ScopeRecord> | undefined;
  if (s === undefined) return undefined;
  return { baseUrl: String(s.baseUrl), account: String(s.account), inboxId: String(s.inboxId) };
}

/** Reads a store file without taking it for writing (header checked first). */
export async function readStore<T>(file: string, read: (dbs: Dbs) => T): Promise<T> {
  await checkStoreFile(file);
  const env = openEnv(file, true);
  try {
    return read(openDbs(env));
  } finally {
    await env.close();
  }
}
