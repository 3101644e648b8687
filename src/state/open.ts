// Opening a store's files: the base file (checked before anything is touched, created empty when
// there is none), the log beside it, and the writer's lock. Every refusal is a StateStoreError
// (exit 2 before the first request).
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, rmSync } from 'node:fs';
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
import { LOG_HEADER_CUT_SHORT, LogFile } from './log.js';
import { looksLikeLmdb } from './legacy.js';
import { openNew, syncFolder, writeBase } from './merge.js';
import { describeScope, sameScope, type ScopeRecord } from './scope.js';

/** How many times a reader opens again when a writer's merge came in between. */
const READER_ATTEMPTS = 20;

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
      // Killed between creating the log and writing its header (or, for a reader, a writer in
      // the middle of writing it): no entry was ever in it.
      if (log !== LOG_HEADER_CUT_SHORT) throw damaged(path, log);
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
    // A reader takes no lock: a writer may merge while it opens (rename a new base in, replace
    // or remove the log). Whatever does not fit together is tried again from the start.
    for (let attempt = 0; ; attempt++) {
      const base = openBase(file, scope, false);
      let log: LogFile | undefined | 'newer';
      try {
        log = openLog(file, base, false);
      } catch (error) {
        base?.close();
        if (attempt >= READER_ATTEMPTS) throw error;
        continue;
      }
      // The base opened is still the one in place: else it may lack what the log it no longer
      // has held (a merge renamed the new base in, then removed the log, in between).
      if (log !== 'newer' && (base === undefined || base.isAt(file))) return { file, base, log, release: () => undefined };
      if (log !== 'newer') log?.close();
      base?.close();
      if (attempt >= READER_ATTEMPTS) throw damaged(logFileOf(file), 'the log does not belong to this base file');
    }
  }
  await ensureFolder(place.kind === 'folder' ? place.dir : dirname(file), place.kind === 'folder');
  let release: () => void;
  try {
    release = acquireLock(file);
  } catch (error) {
    // An LMDB store named by --state has a lock of its own format under the same name (never
    // readable as ours): say what the file is, not that it is busy.
    if (error instanceof StateStoreError && error.code === 'state_busy' && looksLikeLmdb(file)) throw damaged(file, 'an LMDB store');
    throw error;
  }
  let base: BaseFile | undefined;
  let log: LogFile | undefined;
  try {
    base = openBase(file, scope, true);
    removeLeftovers(file);
    if (base === undefined) {
      writeBase(file, { scope, created: Date.now(), token: newToken() }, { base: undefined, log: undefined, superseded: () => false, latest: () => false });
      base = openBase(file, scope, true)!;
      // A log left without its base (a forget stopped half-way, a user's rm of the base file)
      // extends a base that is gone: none of it may be applied, and it must not block the store.
      log = createLog(file, base);
    } else {
      log = (openLog(file, base, true) as LogFile | undefined) ?? createLog(file, base);
    }
    return { file, base, log, release };
  } catch (error) {
    base?.close();
    log?.close();
    release();
    throw error;
  }
}
