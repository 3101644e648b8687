// One run at a time per set of output files: a second run that would write the same journal is
// refused while the first is alive; a lock left by a process that died is taken over.
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(path: string, what: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(info) + '\n');
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let info: Partial<LockInfo> = {};
      try {
        info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
      } catch {
        // unreadable or half-written: treat it as stale
      }
      const otherHost = info.host !== undefined && info.host !== hostname();
      if (otherHost || (typeof info.pid === 'number' && info.pid !== process.pid && alive(info.pid))) {
        throw new LockError(
          `another livedesk-import run (pid ${info.pid ?? '?'} on ${info.host ?? '?'}, since ${info.since ?? '?'}) is writing ${what}. ` +
            `Wait for it to finish, or if it is gone, delete ${path}`,
        );
      }
      unlinkSync(path); // left by a process that died: take it over
    }
  }
  throw new LockError(`cannot take the lock ${path}`);
}
