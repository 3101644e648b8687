// Reading a journal back: what the run it belongs to did (scanJournal), and finishing that run
// (resumeJournal): check it is the same job and the same input, check each output file against
// the lines the journal says were written — by content, so an output edited since the stop is
// refused rather than cut at the wrong byte — and write the files anew from the journal.
//
// A resumed run also sends again the rows that failed for a reason a retry can fix (network,
// timeout, server error, rate limited): their outcomes are undone in the journal (`u` entries)
// and their lines left out of the rewritten failures file, so each row stays in one file.
import { closeSync, createReadStream, existsSync, ftruncateSync, openSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isRetryable, type ErrorCode } from '../errors.js';
import { writeAllSync } from './csv-file.js';
import { Journal, JournalError, JOURNAL_FORMAT, JOURNAL_VERSION, type JournalHeader, type JournalKind, type OutputFile, type RawEntry } from './journal.js';
import { RowSet } from './row-set.js';

export interface JournalScan {
  header: JournalHeader;
  /** Written by a version before journal format 2: no end entries, paths as typed (see legacyHeader). */
  legacy: boolean;
  /** Set when the run saw every row to an outcome. */
  finished: { at: string } | undefined;
  /** The input's digest, recorded once the run had read it whole. */
  input: { sha256: string; size: number } | undefined;
  done: RowSet;
  sent: RowSet;
  counts: Record<JournalKind, number>;
  byError: Partial<Record<ErrorCode, number>>;
  /** Rows whose outcome is a failure a retry can fix, and whether a request of theirs may have landed. */
  retryable: Map<number, { code: ErrorCode; ambiguous: boolean }>;
  /** For each undone row, the index of its last undo: its outcome entries before that index no longer count. */
  undoneAt: Map<number, number>;
  /** Undone rows a request of which may have landed: the undone failure was ambiguous, or the row was sent again after its undo. */
  undoneMaybeSent: RowSet;
  /** Bytes of whole, trusted entries: a half-written last entry (a crash mid-write) is cut before appending. */
  validBytes: number;
}

export interface ResumeState {
  header: JournalHeader;
  /** Rows with an outcome the resumed run keeps. */
  done: RowSet;
  /** Rows without an outcome whose request may have created the contact. */
  maybeSent: RowSet;
  counts: Record<JournalKind, number>;
  byError: Partial<Record<ErrorCode, number>>;
  /** Output lines the journal held that were missing from the files and were written back. */
  restoredLines: number;
  /** Failed rows sent again because a retry can fix their failure. */
  retried: number;
}

async function* entries(path: string): AsyncGenerator<{ text: string; end: number }> {
  const size = statSync(path).size;
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let offset = 0;
  for await (const text of rl) {
    offset += Buffer.byteLength(text) + 1;
    // readline also yields a last line without a break: it was cut mid-write.
    if (offset > size) return;
    yield { text, end: offset };
  }
}

export async function scanJournal(path: string): Promise<JournalScan> {
  let header: JournalHeader | undefined;
  const s: Omit<JournalScan, 'header'> = {
    legacy: false,
    finished: undefined,
    input: undefined,
    done: new RowSet(),
    sent: new RowSet(),
    counts: { created: 0, existing: 0, updated: 0, unchanged: 0, failed: 0 },
    byError: {},
    retryable: new Map(),
    undoneAt: new Map(),
    undoneMaybeSent: new RowSet(),
    validBytes: 0,
  };
  let index = 0;
  for await (const { text, end } of entries(path)) {
    let raw: RawEntry & Partial<JournalHeader>;
    try {
      raw = JSON.parse(text) as RawEntry & Partial<JournalHeader>;
    } catch {
      // Only the last line can be damaged by a crash; anything after it is not trusted either.
      break;
    }
    if (!header) {
      if (raw.format !== JOURNAL_FORMAT || !raw.files) throw new JournalError(`${path} is not a livedesk-import journal`);
      if ((raw.v as number | undefined) === 1) {
        header = legacyHeader(raw as JournalHeader);
        s.legacy = true;
      } else if (raw.v === JOURNAL_VERSION) {
        header = raw as JournalHeader;
      } else {
        throw new JournalError(`${path} was written by a newer version of livedesk-import (journal format ${String(raw.v)}): finish that run with the version that started it`);
      }
    } else if (typeof raw.s === 'number') {
      s.sent.add(raw.s);
      if (s.undoneAt.has(raw.s)) s.undoneMaybeSent.add(raw.s);
    } else if (typeof raw.r === 'number' && raw.k && raw.f && typeof raw.l === 'string') {
      s.done.add(raw.r);
      s.counts[raw.k]++;
      if (raw.c) {
        s.byError[raw.c] = (s.byError[raw.c] ?? 0) + 1;
        if (isRetryable(raw.c)) s.retryable.set(raw.r, { code: raw.c, ambiguous: raw.a === 1 });
      }
    } else if (typeof raw.u === 'number') {
      const was = s.retryable.get(raw.u);
      if (was) {
        s.retryable.delete(raw.u);
        s.done.delete(raw.u);
        s.counts.failed--;
        s.byError[was.code] = (s.byError[was.code] ?? 1) - 1;
        if (s.byError[was.code] === 0) delete s.byError[was.code];
      }
      s.undoneAt.set(raw.u, index);
      if (raw.a === 1) s.undoneMaybeSent.add(raw.u);
      else s.undoneMaybeSent.delete(raw.u);
    } else if (raw.i && typeof raw.i.sha256 === 'string') {
      s.input = raw.i;
    } else if (raw.e && typeof raw.e.at === 'string') {
      s.finished = raw.e;
    } else {
      break;
    }
    index++;
    s.validBytes = end;
  }
  if (!header) throw new JournalError(`${path} is empty or damaged: it has no header. Start afresh with --force`);
  return { header, ...s };
}

/**
 * A journal of format 1 (before this version) is resumed as it is, so an upgrade between a stop and
 * its --resume costs nothing: its output paths were recorded as typed, but its identity holds
 * them resolved; and it described the source as flat fields, which `comparableIdentity` matches.
 */
function legacyHeader(h: JournalHeader): JournalHeader {
  const id = h.identity as { results?: unknown; failures?: unknown };
  const files = { ...h.files };
  if (typeof id.results === 'string') files.results = { ...files.results, path: id.results };
  if (typeof id.failures === 'string') files.failures = { ...files.failures, path: id.failures };
  return { ...h, files };
}

/** This run's identity in the shape the journal's version wrote. */
function comparableIdentity(was: Record<string, unknown>, now: Record<string, unknown>): Record<string, unknown> {
  if (!('delimiter' in was) || 'source' in was) return now;
  const { source, ...rest } = now as { source?: { kind: string; encoding?: string; delimiter?: string; sheet?: string } };
  if (source === undefined) return now;
  return source.kind === 'xlsx'
    ? { ...rest, delimiter: '', encoding: 'utf-8', sheet: source.sheet }
    : { ...rest, delimiter: source.delimiter, encoding: source.encoding, sheet: null };
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

export interface ResumeCheck {
  /** This run's identity; any difference from the journal's is refused. */
  identity: Record<string, unknown>;
  /** The input's digest now (read whole): compared with the one the stopped run recorded. */
  inputDigest: () => Promise<{ sha256: string; size: number }>;
  /** Each results line the journal holds, as it is kept (the state store learns what a crash kept from it). */
  onResult?: (line: string) => void;
}

export async function resumeJournal(path: string, check: ResumeCheck): Promise<{ journal: Journal; state: ResumeState }> {
  if (!existsSync(path)) {
    throw new JournalError(`--resume: no journal at ${path}, so there is no stopped run of this job to finish. Run without --resume`);
  }
  const scan = await scanJournal(path);
  const { header } = scan;
  if (scan.finished) {
    throw new JournalError(`--resume: the run of ${path} finished at ${scan.finished.at}; there is nothing to resume. Run without --resume to start the next run (the finished run's files are kept)`);
  }
  const diff = identityDiff(header.identity, comparableIdentity(header.identity, check.identity));
  if (diff.length > 0) {
    throw new JournalError(`--resume: the journal ${path} belongs to a different job: ${diff.join('; ')}. Resume with the same input file and options, or start afresh with --force`);
  }
  if (scan.input) {
    const now = await check.inputDigest();
    if (now.sha256 !== scan.input.sha256 || now.size !== scan.input.size) {
      throw new JournalError(
        `--resume: the input file changed since the run stopped (its content is not what the run read: ${scan.input.size} bytes then, ${now.size} now). ` +
          'Resume with the file as it was, or start afresh with --force',
      );
    }
  }
  // A journal whose run was stopped before it read the input whole has no digest: take it now, so
  // every later session of this job is checked against the whole file too.
  const digest = scan.input === undefined ? await check.inputDigest() : undefined;
  const undo = [...scan.retryable].map(([row, r]) => ({ row, ambiguous: r.ambiguous }));
  // New files first (checked against the journal), then the undo entries, synced, then the files
  // put in place: a crash anywhere in between leaves a state the next resume reads (rewriteOutputs
  // treats the lines of undone rows as optional, so either order of the two is recognised).
  const rewrite = await rewriteOutputs(path, scan, new Set(undo.map((u) => u.row)), check.onResult);
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, scan.validBytes);
  closeSync(fd);
  const journal = Journal.reopen(path);
  if (digest) journal.recordInput(digest);
  journal.undo(undo);
  rewrite.commit();

  const { done, sent, counts, byError } = scan;
  for (const [row, { code }] of scan.retryable) {
    done.delete(row);
    counts.failed--;
    byError[code] = (byError[code] ?? 1) - 1;
    if (byError[code] === 0) delete byError[code];
  }
  // Rows without an outcome that were sent may have landed; an undone failure only if one of its
  // requests was ambiguous, or it was sent again after the undo (a row without a key never is
  // ambiguous: the sender fails it as unconfirmed).
  const maybeSent = new RowSet();
  for (let row = 1; row <= sent.highest; row++) {
    if (!sent.has(row) || done.has(row)) continue;
    const retried = scan.retryable.get(row);
    const undone = retried === undefined && scan.undoneAt.has(row);
    if (retried ? retried.ambiguous : undone ? scan.undoneMaybeSent.has(row) : true) maybeSent.add(row);
  }
  const restoredLines = rewrite.restored;
  return { journal, state: { header, done, maybeSent, counts, byError, restoredLines, retried: undo.length } };
}

/** Reads a file forward, comparing it with the lines a journal says were written to it. */
class FileCursor {
  private readonly fd: number | undefined;
  private readonly size: number;
  private window = Buffer.alloc(0);
  /** File offset of the window's first byte. */
  private windowAt = 0;
  /** Bytes of the file matched so far. */
  matched = 0;
  /** 1-based line of the file being compared. */
  line = 1;

  constructor(path: string) {
    this.fd = existsSync(path) ? openSync(path, 'r') : undefined;
    this.size = this.fd === undefined ? 0 : statSync(path).size;
  }

  /** `len` bytes of the file at `at`, or fewer at its end. */
  private bytes(at: number, len: number): Buffer {
    if (at < this.windowAt || at + len > this.windowAt + this.window.length) {
      const want = Math.max(len, 256 * 1024);
      const buf = Buffer.alloc(Math.min(want, Math.max(0, this.size - at)));
      const n = this.fd === undefined || buf.length === 0 ? 0 : readSync(this.fd, buf, 0, buf.length, at);
      this.window = buf.subarray(0, n);
      this.windowAt = at;
    }
    const from = at - this.windowAt;
    return this.window.subarray(from, Math.min(from + len, this.window.length));
  }

  /** 'same' (consumed), 'ended' (the file stops inside or before this line: the rest is missing), or 'differs'. */
  compare(expected: Buffer): 'same' | 'ended' | 'differs' {
    const got = this.bytes(this.matched, expected.length);
    if (got.length < expected.length) return expected.subarray(0, got.length).equals(got) ? 'ended' : 'differs';
    if (!got.equals(expected)) return 'differs';
    this.matched += expected.length;
    this.line++;
    return 'same';
  }

  /** A line that may or may not be there (an undone row's): consumed when it is. */
  skipIfThere(expected: Buffer): void {
    const got = this.bytes(this.matched, expected.length);
    if (got.length === expected.length && got.equals(expected)) {
      this.matched += expected.length;
      this.line++;
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
  }
}

/**
 * Checks each output file against the journal and writes it anew: the header, then every line the
 * journal records for it in order, less the lines of rows sent again. A file may end early (a
 * crash between journal and file: the missing lines are restored) or run past the journal (lines
 * that reached the disk before their entry at a power cut: dropped, their rows are redone); a
 * line that differs means the file was edited, and the resume is refused before anything changes.
 */
async function rewriteOutputs(path: string, scan: JournalScan, retry: ReadonlySet<number>, onResult?: (line: string) => void): Promise<{ restored: number; commit: () => void }> {
  const files = (['results', 'failures'] as const).map((f) => {
    const { path: p, header } = scan.header.files[f];
    const temp = `${p}.resume.tmp`;
    if (existsSync(temp)) unlinkSync(temp); // left by a resume that died while writing it
    return { f, path: p, temp, cursor: new FileCursor(p), out: openSync(temp, 'wx', 0o600), header: Buffer.from(header), ended: false };
  });
  const byFile = new Map<OutputFile, (typeof files)[number]>(files.map((x) => [x.f, x]));
  let restored = 0;
  const take = (x: (typeof files)[number], line: Buffer): void => {
    if (!x.ended) {
      const c = x.cursor.compare(line);
      if (c === 'differs') {
        throw new JournalError(
          `--resume: ${x.path} was changed since the run stopped: its line ${x.cursor.line} is not what the run wrote there. ` +
            'Put the file back as it was (a spreadsheet that saved it may have changed its line ends or quoting), or start afresh with --force',
        );
      }
      if (c === 'ended') x.ended = true;
    }
    if (x.ended) restored++;
    writeAllSync(x.out, line.toString('utf8'));
  };
  try {
    for (const x of files) take(x, x.header);
    // Entries are counted as scanJournal counts them: the header is entry 0.
    let index = 0;
    for await (const { text, end } of entries(path)) {
      if (end > scan.validBytes) break;
      if (index > 0) {
        const raw = JSON.parse(text) as RawEntry;
        if (typeof raw.r === 'number' && raw.f && typeof raw.l === 'string') {
          const x = byFile.get(raw.f)!;
          // The line of a row undone (before, or now) may or may not still be in the file: a
          // resume can stop between writing the undo and putting the new files in place.
          if ((scan.undoneAt.get(raw.r) ?? -1) > index || retry.has(raw.r)) x.cursor.skipIfThere(Buffer.from(raw.l));
          else {
            take(x, Buffer.from(raw.l));
            if (raw.f === 'results') onResult?.(raw.l);
          }
        }
      }
      index++;
    }
  } catch (e) {
    for (const x of files) {
      closeSync(x.out);
      unlinkSync(x.temp);
    }
    throw e;
  } finally {
    for (const x of files) x.cursor.close();
  }
  for (const x of files) closeSync(x.out);
  return {
    restored,
    commit: () => {
      for (const x of files) renameSync(x.temp, x.path);
    },
  };
}
