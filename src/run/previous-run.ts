// Making room for a new live run where an earlier one wrote: a finished run is history — its
// files are kept under names that say when it finished, and never block the next run; only an
// unfinished run blocks (finish it with --resume, or start again with --force, which keeps its
// files aside too). Nothing is ever deleted here.
//
// A dry run's outputs are derived data: the next dry run replaces them, and a live run keeps one in
// its way aside without asking. A dry run knows its own by name (`.dry-run.` in it: the default
// names) or, for a path given on the command line, by a marker it leaves beside the file once the
// file is complete, which records the file's device, inode, size and modification time: any other
// file there (a user's, or a dry run's file edited since) is kept aside under a dated name.
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { isDryRunName } from '../options/table.js';
import { JournalError } from '../sinks/journal.js';
import { scanJournal } from '../sinks/journal-resume.js';
import { acquireLocks } from '../sinks/lock.js';
import { writePrivateFile } from '../sinks/private-file.js';

export interface Targets {
  input: string;
  results: string;
  failures: string;
  journal: string;
  force: boolean;
}

/**
 * `contacts.results.csv` + 2026-12-01T02:30:12.345Z → `contacts.results.2026-12-01T023012Z.csv`
 * (UTC, as the journal records it); a dry run's file: `f.csv` → `f.dry-run.2026-12-01T023012Z.csv`.
 */
function keptName(path: string, at: string, tag = ''): string {
  const ext = extname(path);
  const stamp = at.replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
  const base = join(dirname(path), `${basename(path, ext)}.${tag}${stamp}`);
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
  const inWay = [t.results, t.failures].filter((p) => existsSync(p) && !moves.some(([from]) => resolve(from) === resolve(p)));
  // A dry run's file (given the same explicit path): derived data, kept aside without asking.
  const dryRuns = inWay.filter(isDryRunOutput);
  for (const p of dryRuns) moves.push([p, keptName(p, mtimeOf(p), 'dry-run.')]);
  // Files no journal vouches for (another tool's, or an older version's): kept aside, with --force.
  const stray = inWay.filter((p) => !moves.some(([from]) => from === p));
  if (stray.length > 0 && !t.force) {
    throw new UsageError(
      `${stray.join(' and ')} already exist${stray.length === 1 ? 's' : ''}, and no journal says a finished run wrote ${stray.length === 1 ? 'it' : 'them'}: ` +
        'add --force to start anyway (the file is kept under a dated name), or choose other paths with --results / --failures',
    );
  }
  for (const p of stray) moves.push([p, keptName(p, at)]);
  for (const [from, to] of moves) renameSync(from, to);
  for (const p of dryRuns) forgetDryRunOutput(p);
  return moves;
}

/** Where a dry run records that it wrote `path`: a hidden file beside it. */
export function dryRunMarkerPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.livedesk-dry-run`);
}

interface DryRunMark {
  tool: 'livedesk-import --dry-run';
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
}

function markOf(path: string): DryRunMark | undefined {
  try {
    const st = lstatSync(path, { bigint: true });
    if (!st.isFile()) return undefined;
    return { tool: 'livedesk-import --dry-run', dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs) };
  } catch {
    return undefined;
  }
}

function mtimeOf(path: string): string {
  try {
    return statSync(path).mtime.toISOString();
  } catch {
    return new Date().toISOString();
  }
}

/**
 * The file at `path` is exactly what a dry run wrote there: its marker names this very file (same
 * device and inode) with the same size and modification time. A file replaced, edited or
 * appended to since is not.
 */
export function isDryRunOutput(path: string): boolean {
  const marker = dryRunMarkerPath(path);
  const now = markOf(path);
  if (now === undefined) return false;
  try {
    if (!lstatSync(marker).isFile()) return false;
    const mark = JSON.parse(readFileSync(marker, 'utf8')) as Partial<DryRunMark>;
    return mark.tool === now.tool && mark.dev === now.dev && mark.ino === now.ino && mark.size === now.size && mark.mtimeNs === now.mtimeNs;
  } catch {
    return false;
  }
}

function forgetDryRunOutput(path: string): void {
  try {
    unlinkSync(dryRunMarkerPath(path));
  } catch {
    // No marker: nothing to forget.
  }
}

/** What a dry run writes: the failures file, and with --check-existing the results file. */
function dryRunFiles(t: { mode: string; results: string; failures: string }): string[] {
  return t.mode === 'check' ? [t.results, t.failures] : [t.failures];
}

/**
 * Before a dry run writes: a file at one of its paths that is neither a dry run's own (by name or
 * marker) is kept under a dated name (`dd.csv` → `dd.2026-12-01T184800Z.csv`), never replaced,
 * with --force too. Returns the lines to print. Run after checkOutputs, which refuses an output
 * that is the input (that one is never moved).
 */
export function setAsideDryRunOutputs(t: { mode: string; results: string; failures: string }): string[] {
  const files = dryRunFiles(t).map((p) => resolve(p));
  const inWay = files.filter((p) => existsSync(p) && !isDryRunName(p));
  if (inWay.length === 0) return [];
  // Under the outputs' locks, so a file another run is writing now is never moved.
  const release = acquireLocks(files, files.join(' and '));
  const notes: string[] = [];
  try {
    const at = new Date().toISOString();
    for (const p of inWay) {
      if (isDryRunOutput(p)) {
        forgetDryRunOutput(p);
        continue;
      }
      const to = keptName(p, at);
      renameSync(p, to);
      forgetDryRunOutput(p);
      notes.push(`${p} was not written by a dry run, so it is not replaced: kept as ${to}`);
    }
  } finally {
    release();
  }
  return notes;
}

/** After a dry run: marks the files it wrote at paths that do not say so by name, so the next run knows them. */
export function markDryRunOutputs(t: { mode: string; results: string; failures: string }): void {
  for (const p of dryRunFiles(t).map((f) => resolve(f))) {
    if (isDryRunName(p)) continue;
    const mark = markOf(p);
    if (mark === undefined) continue;
    try {
      writePrivateFile(dryRunMarkerPath(p), JSON.stringify(mark) + '\n');
    } catch {
      // Unmarked, the next run keeps the file aside instead of replacing it: nothing is lost.
    }
  }
}
