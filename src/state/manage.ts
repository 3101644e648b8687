// What `livedesk-import state` and `state forget` need: list the stores at a path, remove them.
// Listing only reads (no lock, nothing created); a damaged file is reported, never changed.
// Forgetting takes each store's lock first: a store a live import is writing is never removed.
import { closeSync } from 'node:fs';
import { BaseFile } from './base.js';
import {
  StateStoreError,
  acquireLock,
  openExisting,
  placeOf,
  removeStoreFiles,
  storeFileExists,
  storeFileOf,
  storeFilesIn,
} from './files.js';
import { removeLegacyStore, removeLegacyStores } from './legacy.js';
import { readMissingHead, type MissingHead } from './missing.js';
import { openBase } from './open.js';
import { LEGACY_EXTENSION, STORE_EXTENSION, describeScope, sameScope, scopeRecord, shortAccount, type ScopeRecord, type StoreScope } from './scope.js';
import { StateStore } from './store.js';

export interface StoreDescription {
  file: string;
  baseUrl: string;
  inboxId: string;
  /** Short hash of the API key. */
  account: string;
  contacts: number;
  lastWritten?: Date;
  /** The last run that read its whole file: when, and how many known contacts it no longer had. */
  lastComplete?: { at: Date; missing: number };
  /** The file cannot be read as a store (damaged, another program's, unreadable): why. The other fields are empty. */
  problem?: string;
}

/** What the stores at `path` (a state folder, or one store file) hold. */
export async function describeStores(path: string): Promise<StoreDescription[]> {
  const place = await placeOf(path);
  const files = place.kind === 'folder' ? await storeFilesIn(place.dir) : [place.file];
  const out: StoreDescription[] = [];
  for (const file of files) {
    let store: StateStore;
    let scope: ScopeRecord;
    try {
      if (!(await storeFileExists(file))) continue;
      const base = openBase(file, undefined, false);
      if (base === undefined) continue;
      scope = base.meta.scope;
      base.close();
      // The count and the last write include the log since the last merge: open it read-only.
      store = await StateStore.openScope(file, scope, { readOnly: true });
    } catch (error) {
      // One file that is not a store (or a damaged one) is named; the others are still listed.
      if (place.kind !== 'folder') throw error;
      out.push({ file, baseUrl: '', inboxId: '', account: '', contacts: 0, problem: (error as Error).message });
      continue;
    }
    try {
      const d: StoreDescription = { file, baseUrl: scope.baseUrl, inboxId: scope.inboxId, account: shortAccount(scope.account), contacts: store.count() };
      const lw = store.lastWritten();
      if (lw !== undefined) d.lastWritten = lw;
      const m: MissingHead | undefined = readMissingHead(file);
      if (m !== undefined) d.lastComplete = { at: new Date(m.at), missing: m.count };
      out.push(d);
    } finally {
      await store.close();
    }
  }
  return out;
}

/** A file that reads as a base file of ours. */
function isOurStore(file: string): boolean {
  try {
    const fd = openExisting(file, false);
    if (fd === undefined) return false;
    const base = BaseFile.open(fd);
    if (typeof base === 'string') {
      closeSync(fd);
      return false;
    }
    base.close();
    return true;
  } catch {
    return false;
  }
}

/** Deletes a scope's store at `path`, or every store there when no scope is given. */
export async function forgetStores(path: string, scope?: StoreScope): Promise<void> {
  const place = await placeOf(path);
  if (scope === undefined) {
    const files = place.kind === 'folder' ? await storeFilesIn(place.dir) : [place.file];
    // Only what is a store of ours: a --state that names the input CSV, or another program's
    // file in the folder, is never deleted.
    for (const file of files) if (isOurStore(file)) await removeLocked(file);
    // Stores of the earlier LMDB format in the state folder go too (they are never read).
    if (place.kind === 'folder') await removeLegacyStores(place.dir);
    return;
  }
  const rec = scopeRecord(scope);
  const file = storeFileOf(place, rec);
  // This scope's store of the earlier LMDB format, if any, goes too.
  if (place.kind === 'folder') await removeLegacyStore(file.slice(0, -STORE_EXTENSION.length) + LEGACY_EXTENSION);
  if (!(await storeFileExists(file))) return;
  // A damaged store of this scope's own name (in a folder) is removed too: it can be of no use.
  if (place.kind === 'folder' && !isOurStore(file)) {
    await removeLocked(file);
    return;
  }
  if (!isOurStore(file)) throw new StateStoreError(`${file} is not a livedesk-import state store: not removed`, { code: 'state_not_a_store' });
  const base = openBase(file, undefined, false);
  const stored = base?.meta.scope;
  base?.close();
  if (stored !== undefined && !sameScope(stored, rec)) {
    throw new StateStoreError(
      `State store ${file} belongs to ${describeScope(stored)}, not to ${describeScope(rec)}: not removed`,
      { code: 'state_other_scope' },
    );
  }
  await removeLocked(file);
}

/** Removes a store's files under its lock (a live writer's store: state_busy, nothing removed). */
async function removeLocked(file: string): Promise<void> {
  const release = acquireLock(file);
  try {
    await removeStoreFiles(file);
  } finally {
    release();
  }
}
