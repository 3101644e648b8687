// The journal: what is done, durably, so a run that was stopped (Ctrl-C, kill -9, a crash) can
// be finished with --resume without sending a row twice or losing an output line.
//
// Order of writes for a finished row: journal entry first, then the line in the results or
// failures file. So every output line is in the journal, in the same order; on resume each
// output file is checked against the journal, line by line, and written anew from it
// (journal-resume.ts). Rows are marked "sent" before their first request, so a resumed run knows
// which rows may have reached LiveDesk without an answer. A run that saw every row to an outcome
// ends its journal with an end entry: a finished run is history, never something to resume.
// A sent mark reaches the OS before markSent() returns (so before the request goes out), in the
// same write(2) as the outcome entries waiting before it. Outcome entries wait at most until the
// next sent mark or flush() (Outputs flushes once per event-loop turn, before the output files'
// lines, and at close and exit); a kill -9 can lose the entries of the current turn, whose rows
// then have a sent mark and no outcome: resume settles them as it does a row in flight. fsync
// runs in batches (every SYNC_EVERY_MS), so a power cut can lose the last fraction of a second,
// which resume redoes.
import { closeSync, fsync, fsyncSync } from 'node:fs';
import { UsageError, type ErrorCode } from '../errors.js';
import { writeAllSync } from './csv-file.js';
import { createPrivate, openAppend } from './private-file.js';

export const JOURNAL_FORMAT = 'livedesk-import journal';
/** 2: absolute paths, end entries, input digests, undone outcomes. */
export const JOURNAL_VERSION = 2;
const SYNC_EVERY_MS = 200;

export type OutputFile = 'results' | 'failures';
export type JournalKind = 'created' | 'existing' | 'updated' | 'unchanged' | 'failed';

export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  v: typeof JOURNAL_VERSION;
  /** What makes two runs the same job: input identity and the settings that shape outcomes. */
  identity: Record<string, unknown>;
  /** The output files, by absolute path, and their header lines. */
  files: Record<OutputFile, { path: string; header: string }>;
  startedAt: string;
}

export interface JournalEntry {
  row: number;
  kind: JournalKind;
  code?: ErrorCode;
  file: OutputFile;
  /** The exact output line, line break included. */
  line: string;
  /** A failure after a request that may have reached LiveDesk (timeout, reset). */
  ambiguous?: boolean;
}

/** The journal is not this job's, or cannot be read: exit 2 with the reason. */
export class JournalError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'journal_error' });
  }
}

/** One line of the journal after its header, as written. */
export interface RawEntry {
  /** Sent mark: the row's first request is about to go out. */
  s?: number;
  /** Outcome: row, kind, failure code, file, line, ambiguous. */
  r?: number;
  k?: JournalKind;
  c?: ErrorCode;
  f?: OutputFile;
  l?: string;
  a?: 1;
  /** Undone: a resumed run sends this row again (its outcome was a failure a retry can fix). */
  u?: number;
  /** The input's digest, once it has been read whole. */
  i?: { sha256: string; size: number };
  /** End: every row of the input has an outcome; the run is finished. */
  e?: { at: string };
}

export class Journal {
  private fd: number | undefined;
  /** Outcome entries (whole lines) waiting for the next write. */
  private pending = '';
  /** A write failed: the journal takes nothing more. */
  private failed: Error | undefined;
  private dirty = false;
  private syncing = false;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    this.timer = setInterval(() => this.syncSoon(), SYNC_EVERY_MS);
    this.timer.unref();
  }

  /** A new journal: created private and new (never through a link, never over a file). */
  static create(path: string, header: JournalHeader): Journal {
    const j = new Journal(path, createPrivate(path));
    j.append(JSON.stringify(header) + '\n');
    fsyncSync(j.fd!);
    return j;
  }

  /** Written before this returns, with the outcome entries waiting before it. */
  markSent(row: number): void {
    this.append(`{"s":${row}}\n`);
  }

  /** Queued: written by the next markSent() or flush(). */
  record(e: JournalEntry): void {
    const raw: RawEntry = { r: e.row, k: e.kind, f: e.file, l: e.line };
    if (e.code) raw.c = e.code;
    if (e.ambiguous) raw.a = 1;
    this.queue(raw);
  }

  /** The input's digest, when reading it whole has finished: checked by --resume. */
  recordInput(digest: { sha256: string; size: number }): void {
    this.queue({ i: digest });
  }

  /** Rows a resumed run sends again: their earlier outcomes no longer count. */
  /** Written and synced before it returns: the output files are rewritten without these rows' lines only after. */
  undo(rows: Iterable<{ row: number; ambiguous: boolean }>): void {
    for (const { row, ambiguous } of rows) this.queue(ambiguous ? { u: row, a: 1 } : { u: row });
    this.flush();
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  /** Every row has an outcome: written and synced before close(), so a finished run is known as one. */
  finish(): void {
    this.queue({ e: { at: new Date().toISOString() } });
    this.flush();
  }

  private queue(raw: RawEntry): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    if (this.failed) throw this.failed;
    this.pending += JSON.stringify(raw) + '\n';
  }

  /** Characters of entries waiting to be written. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Writes the waiting entries. */
  flush(): void {
    if (this.pending !== '') this.append('');
  }

  /** Writes the waiting entries and then `text`, in one write(2) when the disk takes it whole. */
  private append(text: string): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    if (this.failed) throw this.failed;
    const all = this.pending + text;
    this.pending = '';
    try {
      writeAllSync(this.fd, all);
    } catch (e) {
      // Part of it may be on disk, ending in half an entry: nothing more goes after that (resume
      // reads up to the last whole entry), and every later call fails the same way.
      this.failed = new Error(`cannot write the journal ${this.path}: ${(e as Error).message}`, { cause: e });
      throw this.failed;
    }
    this.dirty = true;
  }

  private syncSoon(): void {
    if (!this.dirty || this.syncing || this.fd === undefined) return;
    this.dirty = false;
    this.syncing = true;
    fsync(this.fd, () => (this.syncing = false));
  }

  /** Writes what is waiting, syncs and closes; the file is closed even when that fails. */
  close(): void {
    clearInterval(this.timer);
    if (this.fd === undefined) return;
    try {
      if (!this.failed) this.flush();
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  /** Reopens a journal to append to (a resumed run), after journal-resume.ts checked it. */
  static reopen(path: string): Journal {
    return new Journal(path, openAppend(path, 'the journal'));
  }
}
