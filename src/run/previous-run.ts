// Making room for a new live run where an earlier one wrote: a finished run is history — its
// files are kept under names that say when it finished, and never block the next run; only an
// unfinished run blocks (finish it with --resume, or start again with --force, which keeps its
// files aside too). Nothing is ever deleted here.
import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { JournalError } from '../sinks/journal.js';
import { scanJournal } from '../sinks/journal-resume.js';

export interface Targets {
  input: string;
  results: string;
  failures: string;
  journal: string;
  force: boolean;
}

/** `contacts.results.csv` + 2026-12-01T02:30:12.345Z → `contacts.results.2026-12-01T023012Z.csv` (UTC, as the journal records it). */
function keptName(path: string, at: string): string {
  const ext = extname(path);
  const stamp = at.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  const base = join(dirname(path), `${basename(path, ext)}.${stamp}`);
  let candidate = `${base}${ext}`;
  for (let n = 2; existsSync(candidate); n++) candidate = `${base}-${n}${ext}`;
  return candidate;
}

/** Lines in the file, for "about N rows were not sent" (exact for a CSV without line breaks in cells). */
function roughRows(path: string): number | undefined {
  if (extname(path).toLowerCase() === '.xlsx') return undefined;
  // A pipe (`-`, a FIFO) cannot be read again: opening it would wait for a writer, or fail.
  try {
    if (!statSync(path).isFile()) return undefined;
  } catch {
    return undefined;
  }
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  let lines = 0;
  let last = 10;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      for (let i = buf.indexOf(10, 0); i !== -1 && i < n; i = buf.indexOf(10, i + 1)) lines++;
      last = buf[n - 1]!;
    }
  } finally {
    closeSync(fd);
  }
  return Math.max(0, lines + (last === 10 ? 0 : 1) - 1);
}

/** Moves an earlier run's files aside, or refuses when that run is unfinished; returns what was kept where. */
export async function setAsidePreviousRun(t: Targets): Promise<Array<[string, string]>> {
  const moves: Array<[string, string]> = [];
  let at = new Date().toISOString();
  if (existsSync(t.journal)) {
    let scan;
    try {
      scan = await scanJournal(t.journal);
    } catch (e) {
      if (!(e instanceof JournalError)) throw e;
      if (!t.force) throw new UsageError(`${t.journal} cannot be read as a journal (${e.message}); start again with --force (it and the output files are then kept under dated names)`, { cause: e });
      // Unreadable (an empty or half-written header: a crash while it was created): kept aside.
      scan = undefined;
    }
    if (scan === undefined) {
      const stray = [t.journal, t.results, t.failures].filter((p) => existsSync(p));
      const moves = stray.map((p): [string, string] => [p, keptName(p, at)]);
      for (const [from, to] of moves) renameSync(from, to);
      return moves;
    }
    if (!scan.finished && !t.force) {
      const total = resolve(String((scan.header.identity.input as { path?: unknown } | undefined)?.path ?? '')) === resolve(t.input) ? roughRows(t.input) : undefined;
      const left = total === undefined ? 'the rest were not sent' : `about ${Math.max(0, total - scan.done.size).toLocaleString('en-US')} of the input's ${total.toLocaleString('en-US')} rows were not sent`;
      const legacy = scan.legacy ? ' (its journal is from an earlier version, which did not mark finished runs: if it did finish, --resume sends nothing and marks it)' : '';
      throw new UsageError(
        `the run started at ${scan.header.startedAt} (journal ${t.journal}) did not finish: ${scan.done.size.toLocaleString('en-US')} rows have an outcome, ${left}${legacy}. ` +
          'Add --resume to finish it, or --force to start again (its files are then kept under dated names; rows it sent without an answer may then be created twice)',
      );
    }
    at = scan.finished?.at ?? at;
    // Only the files in this run's way: a fixed --journal with new dated outputs leaves the earlier
    // night's results where its readers expect them.
    const targets = new Set([resolve(t.results), resolve(t.failures)]);
    for (const p of [scan.header.files.results.path, scan.header.files.failures.path]) {
      if (existsSync(p) && targets.has(resolve(p))) moves.push([p, keptName(p, at)]);
    }
    moves.push([t.journal, keptName(t.journal, at)]);
  }
  // Files no journal vouches for (another tool's, or an older version's): kept aside, with --force.
  const stray = [t.results, t.failures].filter((p) => existsSync(p) && !moves.some(([from]) => resolve(from) === resolve(p)));
  if (stray.length > 0 && !t.force) {
    throw new UsageError(
      `${stray.join(' and ')} already exist${stray.length === 1 ? 's' : ''}, and no journal says a finished run wrote ${stray.length === 1 ? 'it' : 'them'}: ` +
        'add --force to start anyway (the file is kept under a dated name), or choose other paths with --results / --failures',
    );
  }
  for (const p of stray) moves.push([p, keptName(p, at)]);
  for (const [from, to] of moves) renameSync(from, to);
  return moves;
}
