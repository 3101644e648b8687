// Where a state store's files are, and how they are made: folders 0700, files 0600, never through
// a symbolic link.
//
// A store path is either a folder (the default `$XDG_STATE_HOME/livedesk-import/`, or any
// existing folder, or a path ending in `/`): each scope gets a file of its own in it; or a file
// (`--state FILE`): that file holds one scope, and opening it for another is refused.
import { constants, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { STORE_EXTENSION, lockFileOf, scopeFileName, type ScopeRecord } from './scope.js';

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

function refuseLink(path: string, st: Stats | undefined): void {
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

/** Creates the folder (and missing parents) with mode 0700; an existing folder is left as it is. */
export async function ensureFolder(dir: string): Promise<void> {
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
  }
}

/**
 * Makes sure `file` exists as a regular file of ours with mode 0600, without following a link:
 * LMDB then opens what we made (it never changes the mode of an existing file).
 */
export async function ensurePrivateFile(file: string): Promise<void> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(
      file,
      constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW,
      FILE_MODE,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') refuseLink(file, await fsp.lstat(file));
    throw new StateStoreError(`State store ${file} cannot be opened: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new StateStoreError(`State store ${file} is not a regular file: refused`);
    if ((st.mode & 0o777) !== FILE_MODE) await handle.chmod(FILE_MODE);
  } finally {
    await handle.close();
  }
}

/** Prepares the store file and its lock file for opening: folder 0700, both files 0600, no links. */
export async function prepareStoreFiles(file: string): Promise<void> {
  await ensureFolder(dirname(file));
  await ensurePrivateFile(file);
  await ensurePrivateFile(lockFileOf(file));
}

/** The store files in a state folder (none when it does not exist). */
export async function storeFilesIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(STORE_EXTENSION)) continue;
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

/** Removes a store file and its lock file. */
export async function removeStoreFiles(file: string): Promise<void> {
  for (const path of [file, lockFileOf(file)]) {
    await fsp.rm(path, { force: true });
  }
}

export const displayName = (file: string): string => basename(file);
