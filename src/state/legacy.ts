// Stores written by versions before the format of our own (LMDB files, `*.lmdb` and `*.lmdb-lock`,
// in the state folder, for a few hours of issue 13's life). They are never read: a run starts a
// new store beside them (its first night decides every row against LiveDesk, as without a store);
// `livedesk-import state` names them, `state forget` (all stores) removes them.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { storeFilesIn } from './files.js';
import { LEGACY_EXTENSION } from './scope.js';

/** LMDB's meta page magic, where lmdb 3.x puts it (offset 0x18, 64-bit builds). */
const LMDB_MAGIC = 0xbeefc0de;

export function looksLikeLmdb(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const b = Buffer.alloc(32);
    return readSync(fd, b, 0, 32, 0) === 32 && b.readUInt32LE(0x18) === LMDB_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The old LMDB stores in a state folder. */
export async function legacyStoresIn(dir: string): Promise<string[]> {
  return (await storeFilesIn(dir, LEGACY_EXTENSION)).filter(looksLikeLmdb);
}

export async function removeLegacyStores(dir: string): Promise<number> {
  const files = await legacyStoresIn(dir);
  for (const f of files) await removeLegacyStore(f);
  return files.length;
}

/** Removes an LMDB store of ours and its lock file (nothing when `file` is not one). */
export async function removeLegacyStore(file: string): Promise<void> {
  if (!looksLikeLmdb(file)) return;
  await rm(file, { force: true });
  await rm(`${file}-lock`, { force: true });
}
