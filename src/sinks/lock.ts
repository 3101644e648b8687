// One run at a time per output file, whatever the mode: a run takes `<file>.lock` for every file
// it writes (results, failures, journal), all or none, so a dry run can never write into a live
// run's failures file, nor two live runs into one journal. A lock left by a process that died is
// taken over.
//
// A lock file is never visible half-written: it is written complete under a private temporary
// name and then hard-linked to its name, which fails if the name exists. So a reader always finds
// a whole owner record, and an empty or unreadable lock is never mistaken for a stale one (two
// runs released together could otherwise both "take over" the same lock).
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import { processAlive } from '../process-alive.js';

/** Another run holds these output files: exit 2, nothing sent. */
export class LockError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'lock_error' });
  }
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

const alive = processAlive;

let tempCount = 0;
/** Locks this process holds now. */
const takenHere = new Set<string>();
const nap = new Int32Array(new SharedArrayBuffer(4));
/** A short synchronous wait: locks are taken before the run starts, when nothing else is due. */
const pause = (ms: number): void => void Atomics.wait(nap, 0, 0, ms);

/** Creates `path` holding this process's record, or returns false if it exists. */
function create(path: string): boolean {
  const temp = `${path}.${process.pid}.${++tempCount}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info) + '\n');
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(temp);
  }
}

function holder(path: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    if (typeof info.pid === 'number' && typeof info.host === 'string') return info as LockInfo;
  } catch (e) {
    // Gone between our attempt and this read: the next attempt will tell.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  }
  // Written by another tool, or by an older version of this one: not ours to judge.
  throw new LockError(`${path} exists but is not a lock this tool can read: if no livedesk-import run is using these files, delete it`);
}

/**
 * Removes a lock left by a process that died. Only one run at a time may do this (it holds
 * `<lock>.takeover`, made the same complete-then-link way), and only while the lock still holds
 * the dead owner's record: two runs that both found it stale cannot delete each other's fresh lock.
 */
function takeOver(path: string, stale: LockInfo): void {
  const guard = `${path}.takeover`;
  if (!create(guard)) {
    // Another run is taking it over; a guard left by a run that died mid-takeover is removed.
    const info = holder(guard);
    if (info !== undefined && info.host === hostname() && !alive(info.pid)) unlinkSync(guard);
    return;
  }
  try {
    const now = holder(path);
    if (now !== undefined && now.pid === stale.pid && now.since === stale.since) unlinkSync(path);
  } finally {
    unlinkSync(guard);
  }
}

function acquireOne(path: string, what: string): () => void {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (create(path)) {
      takenHere.add(path);
      return () => {
        takenHere.delete(path);
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
    }
    const info = holder(path);
    if (info === undefined) continue;
    // Our own pid in a lock this process did not take: another container with the same hostname
    // and pid (often 1). Alive, as far as we can tell.
    const ours = info.pid === process.pid && takenHere.has(path);
    if (info.host !== hostname() || (!ours && (info.pid === process.pid || alive(info.pid)))) {
      throw new LockError(
        `another livedesk-import run (pid ${info.pid} on ${info.host}, since ${info.since}) is writing ${what}. ` +
          `Wait for it to finish, or if it is gone, delete ${path}`,
      );
    }
    takeOver(path, info);
    pause(10 * (attempt + 1));
  }
  throw new LockError(`cannot take the lock ${path}: other runs keep taking it`);
}

/** Locks every file in `paths` (all or none); returns the release. */
export function acquireLocks(paths: readonly string[], what: string): () => void {
  const releases: Array<() => void> = [];
  const releaseAll = (): void => {
    for (const r of releases.reverse()) r();
  };
  try {
    // One order for every run, so two runs over overlapping files cannot each hold half.
    for (const p of [...new Set(paths)].sort()) releases.push(acquireOne(`${p}.lock`, what));
  } catch (e) {
    releaseAll();
    throw e;
  }
  return releaseAll;
}
