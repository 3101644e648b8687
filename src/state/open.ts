// Opening a store's files: the base file (checked before anything is touched, created empty when
// there is none), the log beside it, and the writer's lock. Every refusal is a StateStoreError
// (exit 2 before the first request).
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, readSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { BaseFile } from './base.js';
import {
  StateStoreError,
  acquireLock,
  ensureFolder,
  logFileOf,
  makePrivate,
  openExisting,
  placeOf,
  removeLeftovers,
  storeFileOf,
} from './files.js';
import { LOG_MAGIC } from './format.js';
import { LogFile } from './log.js';
import { looksLikeLmdb } from './legacy.js';
import { openNew, syncFolder, writeBase } from './merge.js';
import { describeScope, sameScope, type ScopeRecord } from './scope.js';

export const newToken = (): string => randomBytes(12).toString('hex');

export interface OpenedFiles {
  file: string;
  base: BaseFile | undefined;
  log: LogFile | undefined;
  release: () => void;
}

function damaged(file: string, problem: string): StateStoreError {
  const lmdb = looksLikeLmdb(file);
  return new StateStoreError(
    lmdb
      ? `State store ${file} was written by an earlier livedesk-import (LMDB format), which this version no longer reads: ` +
          'refused, and left as it is. Remove it (and its -lock file) or point --state elsewhere; the next run then decides every row against LiveDesk once'
      : `State store ${file} is not a livedesk-import state store, or it is damaged (${problem}): ` +
          'refused, and left as it is. Point --state elsewhere; if it is a damaged store in the state folder, `livedesk-import state forget --inbox-id ID` removes it',
    { code: 'state_damaged' },
  );
}

/** The base file at `file`, checked (undefined: none, or an empty file). Never changes a file it refuses. */
export function openBase(file: string, scope: ScopeRecord | undefined, writable: boolean): BaseFile | undefined {
  // Read-only even for a writer: a base file is never changed, only replaced.
  const fd = openExisting(file, false);
  if (fd === undefined) return undefined;
  let ok = false;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new StateStoreError(`State store ${file} is not a regular file: refused`);
    if (st.size === 0) return undefined;
    const base = BaseFile.open(fd);
    if (typeof base === 'string') throw damaged(file, base);
    const stored = base.meta.scope;
    if (scope !== undefined && !sameScope(stored, scope)) {
      throw new StateStoreError(
        `State store ${file} belongs to ${describeScope(stored)}, not to ${describeScope(scope)}: ` +
          'choose another --state file, or remove this one with `livedesk-import state forget`',
        { code: 'state_other_scope' },
      );
    }
    // Ours, and of this scope: now it may be made private.
    if (writable) makePrivate(fd);
    ok = true;
    return base;
  } finally {
    if (!ok) closeSync(fd);
  }
}

/**
 * The log beside a base file (undefined: none, or a stale one that a merge had already taken in).
 * Not yet replayed.
 */
export function openLog(file: string, base: BaseFile | undefined, writable: boolean): LogFile | undefined | 'newer' {
  const path = logFileOf(file);
  const fd = openExisting(path, writable);
  if (fd === undefined) return undefined;
  let keep = false;
  try {
    const log = LogFile.open(fd, writable);
    if (typeof log === 'string') {
      // Killed between creating the log and writing its header: no entry was ever in it.
      if (!headerCutShort(fd)) throw damaged(path, log);
      if (writable) rmSync(path, { force: true });
      return undefined;
    }
    if (base === undefined || log.meta.token === base.meta.mergedLog) {
      // Merged into the base already (a crash came between the rename and its removal), or the
      // base it extended is gone: nothing in it may be applied.
      if (writable) rmSync(path, { force: true });
      return undefined;
    }
    if (log.meta.base !== base.meta.token) {
      // A reader that came in the middle of a writer's merge: the base it opened was replaced since.
      if (!writable) return 'newer';
      throw damaged(path, 'the log does not belong to this base file');
    }
    if (writable) makePrivate(fd);
    keep = true;
    return log;
  } finally {
    if (!keep) closeSync(fd);
  }
}

/** Empty, or the beginning of a log header and nothing more (its magic, then less than a header). */
function headerCutShort(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size >= 4096) return false;
  const b = Buffer.alloc(size);
  readSync(fd, b, 0, size, 0);
  return LOG_MAGIC.startsWith(b.toString('latin1', 0, Math.min(size, 8))) && (size < 24 || b.indexOf(0x7d /* } */, 24) < 0);
}

/** A fresh, empty log for `base`. */
export function createLog(file: string, base: BaseFile): LogFile {
  const path = logFileOf(file);
  rmSync(path, { force: true });
  const log = LogFile.create(openNew(path), { token: newToken(), base: base.meta.token, created: Date.now() });
  syncFolder(dirname(path));
  return log;
}

/** Finds, checks, and (for a writer) creates and locks a scope's store files. */
export async function openFiles(path: string, scope: ScopeRecord, writable: boolean): Promise<OpenedFiles> {
  const place = await placeOf(path);
  const file = storeFileOf(place, scope);
  if (!writable) {
    for (let attempt = 0; ; attempt++) {
      const base = openBase(file, scope, false);
      const log = openLog(file, base, false);
      if (log !== 'newer') return { file, base, log, release: () => undefined };
      base?.close();
      if (attempt === 3) throw damaged(logFileOf(file), 'the log does not belong to this base file');
    }
  }
  await ensureFolder(place.kind === 'folder' ? place.dir : dirname(file), place.kind === 'folder');
  const release = acquireLock(file);
  let base: BaseFile | undefined;
  let log: LogFile | undefined;
  try {
    base = openBase(file, scope, true);
    removeLeftovers(file);
    if (base === undefined) {
      writeBase(file, { scope, created: Date.now(), token: newToken() }, { base: undefined, log: undefined, superseded: () => false, latest: () => false });
      base = openBase(file, scope, true)!;
    }
    log = (openLog(file, base, true) as LogFile | undefined) ?? createLog(file, base);
    return { file, base, log, release };
  } catch (error) {
    base?.close();
    log?.close();
    release();
    throw error;
  }
}
