// Where a state store's files are, and how they are made: folders 0700, files 0600, never through
// a symbolic link.
//
// A store path is either a folder (the default `$XDG_STATE_HOME/livedesk-import/`, or any
// existing folder, or a path ending in `/`): each scope gets a file of its own in it; or a file
// (`--state FILE`): that file holds one scope, and opening it for another is refused.
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, promises as fsp, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { STORE_EXTENSION, scopeFileName, type ScopeRecord } from './scope.js';

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

/** What a store path names, without creating anything. */
export async function placeOf(path: string): Promise<StorePlace> {
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

/**
 * One writer per store: a lock file holding the writer's process ID, created exclusively. A lock
 * whose process is gone (a kill -9, a power loss) is taken over; a live one refuses the run.
 */
export function acquireLock(file: string): () => void {
  const lock = lockFileOf(file);
  if (heldHere.has(lock)) throw busy(file, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, FILE_MODE);
      try {
        fchmodSync(fd, FILE_MODE);
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      heldHere.add(lock);
      return () => {
        heldHere.delete(lock);
        rmSync(lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process took over the same stale lock between our removal and our create.
      if (attempt > 0) throw busy(file, lockHolder(lock));
      const st = lstatSync(lock);
      refuseLink(lock, st);
      if (!st.isFile()) throw new StateStoreError(`State store lock ${lock} is not a file: refused`);
      const pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
      // Our own process ID in a lock this process does not hold: a container's earlier run (PID 1 again).
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw busy(file, pid);
      rmSync(lock, { force: true });
    }
  }
}

/** The process ID written in a lock file, or NaN when it cannot be read (gone, being written). */
function lockHolder(lock: string): number {
  try {
    return Number.parseInt(readFileSync(lock, 'utf8'), 10);
  } catch {
    return Number.NaN;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(`${name}.tmp-`) && !entry.startsWith(`${name}-missing.tmp-`)) continue;
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

/** Removes a store: its base file, log, lock and missing list. */
export async function removeStoreFiles(file: string): Promise<void> {
  for (const path of [file, logFileOf(file), lockFileOf(file), missingFileOf(file)]) {
    await fsp.rm(path, { force: true });
  }
}

export const displayName = (file: string): string => basename(file);
