// The journal: what is done, durably, so a run that was stopped (Ctrl-C, kill -9, a crash) can
// be finished with --resume without sending a row twice or losing an output line.
//
// Order of writes for a finished row: journal entry first, then the line in the results or
// failures file. So every output line is in the journal, in the same order; on resume each
// output file is cut to the longest prefix the journal vouches for and the missing tail is
// rewritten from the journal. Rows are marked "sent" before their first request, so a resumed
// run knows which rows may have reached LiveDesk without an answer.
// A sent mark reaches the OS before markSent() returns (so before the request goes out), in the
// same write(2) as the outcome entries waiting before it. Outcome entries wait at most until the
// next sent mark or flush() (Outputs flushes once per event-loop turn, before the output files'
// lines, and at close and exit); a kill -9 can lose the entries of the current turn, whose rows
// then have a sent mark and no outcome: resume settles them as it does a row in flight. fsync
// runs in batches (every SYNC_EVERY_MS), so a power cut can lose the last fraction of a second,
// which resume redoes.
import { closeSync, createReadStream, existsSync, fsync, fsyncSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { UsageError, type ErrorCode } from '../errors.js';
import { writeAllSync } from './csv-file.js';
import { RowSet } from './row-set.js';

export const JOURNAL_FORMAT = 'livedesk-import journal';
const SYNC_EVERY_MS = 200;

export type OutputFile = 'results' | 'failures';
export type JournalKind = 'created' | 'existing' | 'updated' | 'failed';

export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  v: 1;
  /** What makes two runs the same job: input identity and the settings that shape outcomes. */
  identity: Record<string, unknown>;
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
}

/** The journal is not this job's, or cannot be read: exit 2 with the reason. */
export class JournalError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'journal_error' });
  }
}

export interface ResumeState {
  header: JournalHeader;
  done: RowSet;
  /** Rows marked sent (check `done` first): without an outcome, their request may have created the contact. */
  maybeSent: RowSet;
  counts: Record<JournalKind, number>;
  byError: Partial<Record<ErrorCode, number>>;
  /** Output lines the journal held that were missing from the files and were written back. */
  restoredLines: number;
}

interface RawEntry {
  s?: number;
  r?: number;
  k?: JournalKind;
  c?: ErrorCode;
  f?: OutputFile;
  l?: string;
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

  static create(path: string, header: JournalHeader): Journal {
    const j = new Journal(path, openSync(path, 'w', 0o600));
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
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    if (this.failed) throw this.failed;
    const raw: RawEntry = { r: e.row, k: e.kind, f: e.file, l: e.line };
    if (e.code) raw.c = e.code;
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
      this.failed = e as Error;
      throw e;
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

  /**
   * Reads a journal left by an earlier run of the same job, repairs the output files from it,
   * and reopens it for appending. `expect` is this run's identity; any difference is refused.
   */
  static async resume(path: string, expect: Record<string, unknown>): Promise<{ journal: Journal; state: ResumeState }> {
    if (!existsSync(path)) {
      throw new JournalError(`--resume: no journal at ${path}, so there is no earlier run of this job to finish. Run without --resume (add --force to replace existing output files)`);
    }
    const scan = await scanJournal(path);
    const { header } = scan;
    const diff = identityDiff(header.identity, expect);
    if (diff.length > 0) {
      throw new JournalError(
        `--resume: the journal ${path} belongs to a different job: ${diff.join('; ')}. Resume with the same input file and options, or start afresh with --force`,
      );
    }
    const restoredLines = await repairOutputs(path, header, scan.expectedBytes);
    // Cut a half-written last entry (a crash mid-write) before appending after it.
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, scan.validBytes);
    closeSync(fd);
    const journal = new Journal(path, openSync(path, 'a', 0o600));
    return {
      journal,
      state: { header, done: scan.done, maybeSent: scan.maybeSent, counts: scan.counts, byError: scan.byError, restoredLines },
    };
  }
}

async function* journalLines(path: string): AsyncGenerator<{ text: string; end: number; complete: boolean }> {
  const stream = createReadStream(path);
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const size = statSync(path).size;
  let offset = 0;
  for await (const text of rl) {
    offset += Buffer.byteLength(text) + 1;
    // readline also yields a last line without a break: it was cut mid-write.
    yield { text, end: Math.min(offset, size), complete: offset <= size };
  }
}

interface Scan {
  header: JournalHeader;
  done: RowSet;
  maybeSent: RowSet;
  counts: Record<JournalKind, number>;
  byError: Partial<Record<ErrorCode, number>>;
  expectedBytes: Record<OutputFile, number>;
  validBytes: number;
}

async function scanJournal(path: string): Promise<Scan> {
  let header: JournalHeader | undefined;
  const done = new RowSet();
  const sent = new RowSet();
  const counts: Record<JournalKind, number> = { created: 0, existing: 0, updated: 0, failed: 0 };
  const byError: Partial<Record<ErrorCode, number>> = {};
  const expectedBytes: Record<OutputFile, number> = { results: 0, failures: 0 };
  let validBytes = 0;
  for await (const { text, end, complete } of journalLines(path)) {
    if (!complete) break;
    let raw: RawEntry & Partial<JournalHeader>;
    try {
      raw = JSON.parse(text) as RawEntry & Partial<JournalHeader>;
    } catch {
      // Only the last line can be damaged by a crash; anything after it is not trusted either.
      break;
    }
    if (!header) {
      if (raw.format !== JOURNAL_FORMAT || raw.v !== 1 || !raw.files) {
        throw new JournalError(`${path} is not a livedesk-import journal (or one from an incompatible version)`);
      }
      header = raw as JournalHeader;
      expectedBytes.results = Buffer.byteLength(header.files.results.header);
      expectedBytes.failures = Buffer.byteLength(header.files.failures.header);
    } else if (typeof raw.s === 'number') {
      sent.add(raw.s);
    } else if (typeof raw.r === 'number' && raw.k && raw.f && typeof raw.l === 'string') {
      done.add(raw.r);
      counts[raw.k]++;
      if (raw.c) byError[raw.c] = (byError[raw.c] ?? 0) + 1;
      expectedBytes[raw.f] += Buffer.byteLength(raw.l);
    } else {
      break;
    }
    validBytes = end;
  }
  if (!header) throw new JournalError(`${path} is empty or damaged: it has no header. Start afresh with --force`);
  // Done rows are skipped on resume, so "sent" only matters for the rows without an outcome.
  return { header, done, maybeSent: sent, counts, byError, expectedBytes, validBytes };
}

/** Human-readable differences between the journal's job and this one. */
function identityDiff(was: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(was), ...Object.keys(now)]);
  const out: string[] = [];
  for (const k of keys) {
    const a = JSON.stringify(was[k]);
    const b = JSON.stringify(now[k]);
    if (a !== b) out.push(`${k} was ${a ?? '(unset)'}, now ${b ?? '(unset)'}`);
  }
  return out;
}

/**
 * Makes each output file hold exactly the lines the journal records, in order: a longer file
 * (lines that reached the disk before their journal entry, after a power cut) is cut back; a
 * shorter one (a crash between journal and file) gets its missing lines from the journal.
 */
async function repairOutputs(path: string, header: JournalHeader, expectedBytes: Record<OutputFile, number>): Promise<number> {
  const have: Record<OutputFile, number> = { results: 0, failures: 0 };
  const fds: Partial<Record<OutputFile, number>> = {};
  let restored = 0;
  for (const f of ['results', 'failures'] as const) {
    const { path: p, header: headerLine } = header.files[f];
    const size = existsSync(p) ? statSync(p).size : 0;
    const headerBytes = Buffer.byteLength(headerLine);
    if (size < headerBytes) {
      const fd = openSync(p, 'w', 0o600);
      writeSync(fd, headerLine);
      closeSync(fd);
      have[f] = headerBytes;
    } else {
      have[f] = Math.min(size, expectedBytes[f]);
    }
  }
  // Walk the journal once more, summing line lengths per file: the first entry that does not fit
  // inside what the file holds marks where the file is cut and rewriting starts.
  const offset: Record<OutputFile, number> = {
    results: Buffer.byteLength(header.files.results.header),
    failures: Buffer.byteLength(header.files.failures.header),
  };
  const cut: Record<OutputFile, boolean> = { results: false, failures: false };
  let first = true;
  for await (const { text, complete } of journalLines(path)) {
    if (!complete) break;
    if (first) {
      first = false;
      continue;
    }
    let raw: RawEntry;
    try {
      raw = JSON.parse(text) as RawEntry;
    } catch {
      break;
    }
    if (typeof raw.s === 'number') continue;
    // The scan stopped trusting the journal at the first odd entry; so does the repair.
    if (typeof raw.r !== 'number' || !raw.f || typeof raw.l !== 'string') break;
    const f = raw.f;
    const len = Buffer.byteLength(raw.l);
    if (!cut[f] && offset[f] + len <= have[f]) {
      offset[f] += len;
      continue;
    }
    if (!cut[f]) {
      cut[f] = true;
      const fd = openSync(header.files[f].path, 'r+');
      ftruncateSync(fd, offset[f]);
      closeSync(fd);
      fds[f] = openSync(header.files[f].path, 'a', 0o600);
    }
    writeSync(fds[f]!, raw.l);
    restored++;
  }
  for (const f of ['results', 'failures'] as const) {
    if (fds[f] !== undefined) {
      fsyncSync(fds[f]);
      closeSync(fds[f]);
    } else {
      // Nothing missing: drop anything past what the journal vouches for (a half line).
      const fd = openSync(header.files[f].path, 'r+');
      ftruncateSync(fd, offset[f]);
      closeSync(fd);
    }
  }
  return restored;
}
