// Where a state store's files are, and how they are made: folders 0700, files 0600, never through
// a symbolic link.
//
// A store path is either a folder (the default `$XDG_STATE_HOME/livedesk-import/`, or any
// existing folder, or a path ending in `/`): each scope gets a file of its own in it; or a file
// (`--state FILE`): that file holds one scope, and opening it for another is refused.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, linkSync, lstatSync, openSync, promises as fsp, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { STORE_EXTENSION, scopeFileName, type ScopeRecord } from './scope.js';
import { processAlive } from '../process-alive.js';

/** A state store problem that stops the run before it starts (exit 2). */
export class StateStoreError extends UsageError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { code: options?.code ?? 'state_store', cause: options?.cause });
  }
}

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function refuseLink(path: string, st: Stats | undefined): void {
  if (st?.isSymbolicLink()) {
    throw new StateStoreError(
      `State store ${path} is a symbolic link: refused (give the real path with --state)`,
      { code: 'state_symlink' },
    );
  }
}

export type StorePlace =
  | { kind: 'folder'; dir: string }
  | { kind: 'file'; file: string };

/**
 * An I/O error met while opening, listing or removing a store (a folder that is not ours, a full
 * or read-only disk, a path through a file) as a StateStoreError: a clear message and exit 2,
 * never a crash. A StateStoreError passes as it is.
 */
export function cannotOpen(path: string, error: unknown): StateStoreError {
  if (error instanceof StateStoreError) return error;
  return new StateStoreError(`State store ${path} cannot be opened: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** What a store path names, without creating anything. */
export async function placeOf(path: string): Promise<StorePlace> {
  try {
    return await placeOfUnchecked(path);
  } catch (error) {
    throw cannotOpen(path, error);
  }
}

async function placeOfUnchecked(path: string): Promise<StorePlace> {
  const trimmed = path.endsWith(sep) || path.endsWith('/') ? path.replace(/[\\/]+$/, '') || sep : path;
  const st = await lstatOrUndefined(trimmed);
  refuseLink(trimmed, st);
  if (st?.isDirectory() || trimmed !== path) return { kind: 'folder', dir: trimmed };
  if (st !== undefined && !st.isFile()) {
    throw new StateStoreError(`State store ${path} is neither a file nor a folder: refused`);
  }
  return { kind: 'file', file: path };
}

/** The store file of a scope at a place. */
export const storeFileOf = (place: StorePlace, scope: ScopeRecord): string =>
  place.kind === 'folder' ? join(place.dir, scopeFileName(scope)) : place.file;

/**
 * Creates the folder (and missing parents) with mode 0700. An existing state folder of ours that
 * others can read or enter is tightened to 0700 (it holds emails and phone numbers); one that is
 * not ours is left as it is (its store files are 0600 anyway).
 */
export async function ensureFolder(dir: string, tighten: boolean): Promise<void> {
  let st: Stats | undefined;
  try {
    st = await fsp.stat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (st === undefined) {
    await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
    // mkdir's mode passes through the umask; the folder is ours and new: make it exactly 0700.
    await fsp.chmod(dir, DIR_MODE);
  } else if (!st.isDirectory()) {
    throw new StateStoreError(`State folder ${dir} is not a folder`);
  } else if (tighten && (st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) {
    await fsp.chmod(dir, DIR_MODE);
  }
}

/** The files beside a base file: the log of answers since the last merge, the lock, the missing list. */
export const logFileOf = (file: string): string => `${file}-log`;
export const lockFileOf = (file: string): string => `${file}-lock`;
export const missingFileOf = (file: string): string => `${file}-missing`;

/**
 * Opens an existing file of the store without following a link (undefined: there is none). A
 * writable one that others can read is made 0600 — only once the caller has checked it is ours.
 */
export function openExisting(file: string, writable: boolean): number | undefined {
  try {
    return openSync(file, (writable ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') refuseLink(file, lstatSync(file));
    throw new StateStoreError(`State store ${file} cannot be opened: ${(error as Error).message}`, { cause: error });
  }
}

/** Makes a file of ours private (0600) if it is not. */
export function makePrivate(fd: number): void {
  if ((fstatSync(fd).mode & 0o777) !== FILE_MODE) fchmodSync(fd, FILE_MODE);
}

const heldHere = new Set<string>();

/** A lock that cannot be read (written by something else, a disk fault) is busy until it is this old. */
const UNREADABLE_LOCK_STALE_MS = 30_000;

/**
 * One writer per store: a lock file holding the writer's process ID. It appears with its content
 * in one step (written under a name of its own, then hard-linked to the lock's name: EEXIST means
 * another writer has it), so no one ever sees it empty. A lock whose process is gone (a kill -9,
 * a power loss) is taken over by renaming it aside first: only one of several processes that
 * found the same stale lock can win that rename, and the winner checks that what it moved really
 * was the stale lock (not a fresh one another process had just made) before it removes it.
 */
export function acquireLock(file: string): () => void {
  const lock = lockFileOf(file);
  if (heldHere.has(lock)) throw busy(file, process.pid);
  const mine = `${lock}.${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(mine, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE);
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        linkSync(mine, lock);
        heldHere.add(lock);
        return () => {
          heldHere.delete(lock);
          // Only a lock that is still ours: never one another process holds now.
          if (lockHolder(lock) === process.pid) rmSync(lock, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let st: Stats;
      try {
        st = lstatSync(lock);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
        throw error;
      }
      refuseLink(lock, st);
      if (!st.isFile()) throw new StateStoreError(`State store lock ${lock} is not a file: refused`);
      const pid = lockHolder(lock);
      if (!stale(pid, st)) throw busy(file, pid);
      // Stale: move it aside. Of several processes that found it stale, one rename wins.
      const aside = `${lock}.stale.${process.pid}`;
      try {
        renameSync(lock, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = lockHolder(aside);
      let movedSt: Stats | undefined;
      try {
        movedSt = lstatSync(aside);
      } catch {
        movedSt = undefined;
      }
      if (movedSt !== undefined && !stale(moved, movedSt)) {
        // Another process took the stale lock over between our check and our rename: what we
        // moved is its live lock. Put it back (unless yet another lock is there) and give way.
        try {
          linkSync(aside, lock);
        } catch {
          // another lock is in place already: leave that one
        }
        rmSync(aside, { force: true });
        throw busy(file, moved);
      }
      rmSync(aside, { force: true });
    }
    throw busy(file, lockHolder(lock));
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Is a lock with this content stale? Its process is gone, or it is our own process ID in a lock
 * this process does not hold (a container's earlier run: PID 1 again). One that cannot be read
 * as a process ID is busy until it is old: nothing of ours writes such a lock.
 */
function stale(pid: number, st: Stats): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return Date.now() - st.mtimeMs > UNREADABLE_LOCK_STALE_MS;
  if (pid === process.pid) return true;
  return !alive(pid);
}

/** The process ID written in a lock file, or NaN when it cannot be read (gone, damaged). */
function lockHolder(lock: string): number {
  try {
    const text = readFileSync(lock, 'utf8');
    return /^\d+\n?$/.test(text) ? Number(text.trim()) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const alive = processAlive;

const busy = (file: string, pid: number): StateStoreError =>
  new StateStoreError(
    `State store ${file} is in use by ${Number.isSafeInteger(pid) ? `process ${pid}` : 'another process'} (another import into this inbox?): wait for it to finish. ` +
      `If no such run is going on, remove ${lockFileOf(file)}`,
    { code: 'state_busy' },
  );

/**
 * Removes what a writer killed in the middle of a merge or of writing the missing list left: its
 * temporary files (the writer's lock is held, so none of them is being written).
 */
export function removeLeftovers(file: string): void {
  const dir = dirname(file);
  const name = basename(file);
  // Exactly the names we make (merge.ts, missing.ts: `.tmp-<pid>`; acquireLock: `-lock.<pid>-<hex>`,
  // `-lock.stale.<pid>`), never a user's own file that merely starts like one (`crm.tmp-notes.txt`).
  const ours = [`${name}.tmp-`, `${name}-missing.tmp-`];
  const lockTmp = `${lockFileOf(name)}.`;
  for (const entry of readdirSync(dir)) {
    let pid: number | undefined;
    const prefix = ours.find((p) => entry.startsWith(p));
    if (prefix !== undefined) {
      if (!/^\d+$/.test(entry.slice(prefix.length))) continue;
    } else if (entry.startsWith(lockTmp)) {
      // Another writer's lock in the making, or a takeover in progress: only a gone process's.
      const m = /^(?:(\d+)-[0-9a-f]{8}|stale\.(\d+))$/.exec(entry.slice(lockTmp.length));
      if (m === null) continue;
      pid = Number(m[1] ?? m[2]);
      if (pid === process.pid || alive(pid)) continue;
    } else continue;
    const path = join(dir, entry);
    if (lstatSync(path).isFile()) rmSync(path, { force: true });
  }
}

/** The store files (base files) in a state folder (none when it does not exist). */
export async function storeFilesIn(dir: string, extension = STORE_EXTENSION): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(extension)) continue;
    const st = await lstatOrUndefined(join(dir, name));
    if (st?.isFile()) files.push(join(dir, name));
  }
  return files;
}

/** Does the store file exist (as a regular file)? */
export async function storeFileExists(file: string): Promise<boolean> {
  const st = await lstatOrUndefined(file);
  refuseLink(file, st);
  return st?.isFile() === true && st.size > 0;
}

/**
 * Removes a store: its missing list, log, base file and lock, in that order, so that one stopped
 * half-way never leaves a log without its base (the lock goes last: it is held while removing).
 */
export async function removeStoreFiles(file: string): Promise<void> {
  for (const path of [missingFileOf(file), logFileOf(file), file, lockFileOf(file)]) {
    await fsp.rm(path, { force: true });
  }
}

export const displayName = (file: string): string => basename(file);
