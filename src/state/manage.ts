// What `livedesk-import state` and `state forget` need: list the stores at a path, remove them.
import { entryCount, readStore, storedScope } from './engine.js';
import { checkStoreFile } from './header.js';
import {
  StateStoreError,
  placeOf,
  removeStoreFiles,
  storeFileExists,
  storeFileOf,
  storeFilesIn,
} from './files.js';
import { describeScope, sameScope, scopeRecord, shortAccount, type StoreScope } from './scope.js';

export interface StoreDescription {
  file: string;
  baseUrl: string;
  inboxId: string;
  /** Short hash of the API key. */
  account: string;
  contacts: number;
  lastWritten?: Date;
}

/** What the stores at `path` (a state folder, or one store file) hold. */
export async function describeStores(path: string): Promise<StoreDescription[]> {
  const place = await placeOf(path);
  const files = place.kind === 'folder' ? await storeFilesIn(place.dir) : [place.file];
  const out: StoreDescription[] = [];
  for (const file of files) {
    if (!(await storeFileExists(file))) continue;
    const d = await readStore(file, (db): StoreDescription | undefined => {
      const scope = storedScope(db.meta);
      if (scope === undefined) return undefined;
      const lw = db.meta.get('lastWritten');
      const d: StoreDescription = {
        file,
        baseUrl: scope.baseUrl,
        inboxId: scope.inboxId,
        account: shortAccount(scope.account),
        contacts: entryCount(db.contacts),
      };
      if (typeof lw === 'number') d.lastWritten = new Date(lw);
      return d;
    });
    if (d !== undefined) out.push(d);
  }
  return out;
}

/** Deletes a scope's store at `path`, or every store there when no scope is given. */
/** A file LMDB can read that holds a scope: a store this tool wrote. */
async function isOurStore(file: string): Promise<boolean> {
  try {
    await checkStoreFile(file);
    return (await readStore(file, (db) => storedScope(db.meta))) !== undefined;
  } catch {
    return false;
  }
}

export async function forgetStores(path: string, scope?: StoreScope): Promise<void> {
  const place = await placeOf(path);
  if (scope === undefined) {
    const files = place.kind === 'folder' ? await storeFilesIn(place.dir) : [place.file];
    // Only what is a store of ours: a --state that names the input CSV, or another program's
    // database in the folder, is never deleted.
    for (const file of files) if (await isOurStore(file)) await removeStoreFiles(file);
    return;
  }
  const rec = scopeRecord(scope);
  const file = storeFileOf(place, rec);
  if (!(await storeFileExists(file))) return;
  // A damaged store of this scope's own name (in a folder) is removed too: it can be of no use.
  if (place.kind === 'folder' && !(await isOurStore(file))) {
    await removeStoreFiles(file);
    return;
  }
  if (!(await isOurStore(file))) throw new StateStoreError(`${file} is not a livedesk-import state store: not removed`, { code: 'state_not_a_store' });
  const stored = await readStore(file, (db) => storedScope(db.meta));
  if (stored !== undefined && !sameScope(stored, rec)) {
    throw new StateStoreError(
      `State store ${file} belongs to ${describeScope(stored)}, not to ${describeScope(rec)}: not removed`,
      { code: 'state_other_scope' },
    );
  }
  await removeStoreFiles(file);
}
