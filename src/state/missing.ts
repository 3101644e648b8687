// The contacts the last complete run's file no longer had (issue 13, "rows that left the file"):
// written by that run when it closes the store, beside the base file (`<store>-missing`), read by
// `state export --missing` and `livedesk-import state`. A run that stopped or resumed (it did not
// read its whole file) leaves the list as it was: nothing becomes "missing" because a run stopped.
//
// A text file: one line of JSON (when, how many; padded to a fixed width, written last), then one
// JSON string per line, each a contact ID. Written to a temporary file, fsync'ed and renamed.
import { closeSync, constants, createReadStream, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { missingFileOf } from './files.js';
import type { KnownContact } from './format.js';
import { openNew, syncFolder } from './merge.js';

export interface MissingHead {
  /** When the run that read its whole file closed the store. */
  at: number;
  count: number;
}

const HEAD = 96;

export async function writeMissing(file: string, missing: Iterable<string>): Promise<number> {
  const path = missingFileOf(file);
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const fd = openNew(tmp);
  let count = 0;
  try {
    let buf = '';
    let pos = HEAD;
    const flush = (): void => {
      const b = Buffer.from(buf, 'utf8');
      let done = 0;
      while (done < b.length) done += writeSync(fd, b, done, b.length - done, pos + done);
      pos += b.length;
      buf = '';
    };
    for (const id of missing) {
      buf += JSON.stringify(id) + '\n';
      count++;
      if (buf.length > 1 << 16) flush();
    }
    flush();
    const head = JSON.stringify({ at: Date.now(), count } satisfies MissingHead).padEnd(HEAD - 1, ' ') + '\n';
    writeSync(fd, head, 0, 'utf8');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    syncFolder(dirname(path));
    return count;
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      /* closed */
    }
    rmSync(tmp, { force: true });
    throw error;
  }
}

export function readMissingHead(file: string): MissingHead | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(missingFileOf(file), constants.O_RDONLY | constants.O_NOFOLLOW);
    const b = Buffer.alloc(HEAD);
    if (readSync(fd, b, 0, HEAD, 0) !== HEAD) return undefined;
    const h = JSON.parse(b.toString('utf8')) as MissingHead;
    return Number.isFinite(h.at) && Number.isSafeInteger(h.count) ? h : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The listed contacts the store still knows (a contact forgotten since is left out). */
export async function* missingContacts(file: string, get: (id: string) => KnownContact | undefined): AsyncIterable<KnownContact> {
  if (readMissingHead(file) === undefined) return;
  const fd = openSync(missingFileOf(file), constants.O_RDONLY | constants.O_NOFOLLOW);
  const lines = createInterface({ input: createReadStream('', { fd, start: HEAD }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const c = get(JSON.parse(line) as string);
    if (c !== undefined) yield c;
  }
}
