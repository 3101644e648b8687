// Outputs writes outcome lines in batches (once per event-loop turn, or with the next sent mark):
// the journal's entries always reach the disk before the output lines they vouch for, every file
// only ever holds whole lines, and nothing waiting is lost at close, at process.exit or on a write error.
import { chmodSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { CsvLineFile } from '../src/sinks/csv-file.js';
import { FailureFormat } from '../src/sinks/failures.js';
import { Journal, JOURNAL_FORMAT } from '../src/sinks/journal.js';
import { flushAtExit, Outputs } from '../src/sinks/outputs.js';
import { checkOutputTargets, type OutputTarget } from '../src/sinks/output-paths.js';
import { createPrivate, openAppend, OutputPathError, writePrivateFile } from '../src/sinks/private-file.js';
import { Sinks } from '../src/sinks/index.js';
import { resultsHeaderLine } from '../src/sinks/results.js';
import { emptySummary } from '../src/sinks/summary.js';

const INPUT_HEADER = ['name', 'email'];
const log = createLogger({ human: { write: () => true } as unknown as NodeJS.WritableStream, level: 'silent' });

function open(dir: string, files: { results?: string; failures?: string } = {}) {
  const results = files.results ?? join(dir, 'r.csv');
  const failures = files.failures ?? join(dir, 'f.csv');
  const journalPath = join(dir, 'j.jsonl');
  const format = new FailureFormat(INPUT_HEADER);
  const journal = Journal.create(journalPath, {
    format: JOURNAL_FORMAT,
    v: 2,
    identity: {},
    files: { results: { path: results, header: resultsHeaderLine() }, failures: { path: failures, header: format.headerLine } },
    startedAt: new Date().toISOString(),
  });
  const summary = emptySummary(false, failures, results);
  const r = files.results === '/dev/full' ? CsvLineFile.append(results) : CsvLineFile.create(results, resultsHeaderLine());
  const f = files.failures === '/dev/full' ? CsvLineFile.append(failures) : CsvLineFile.create(failures, format.headerLine);
  const files_ = new Outputs(f, format, r, journal, (c) => c);
  const outputs = new Sinks(summary, files_, log);
  return { outputs, summary, paths: { results, failures, journal: journalPath } };
}

const contact = (i: number) => ({ name: `P ${i}`, email: `p${i}@example.com` });
const lines = (p: string): string[] => readFileSync(p, 'utf8').split('\n');
const journalEntries = (p: string) =>
  readFileSync(p, 'utf8')
    .split('\n')
    .slice(1, -1)
    .map((l) => JSON.parse(l) as { s?: number; r?: number; f?: 'results' | 'failures'; l?: string });

/** Each output file is its header plus a prefix of the journal's lines for it, and ends with a line break. */
function expectVouched(paths: { results: string; failures: string; journal: string }): void {
  const entries = journalEntries(paths.journal);
  for (const file of ['results', 'failures'] as const) {
    const text = readFileSync(paths[file], 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const body = text.slice(text.indexOf('\n') + 1);
    const vouched = entries.filter((e) => e.f === file).map((e) => e.l!).join('');
    expect(vouched.startsWith(body)).toBe(true);
  }
}

describe('Outputs: batched lines', () => {
  it('writes outcome lines at the end of the turn, journal first; a sent mark carries the waiting entries at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const { outputs, summary, paths } = open(dir);
    outputs.take({ kind: 'created', row: 1, values: [], contactId: '11', contact: contact(1) });
    outputs.take({ kind: 'failed', row: 2, values: ['P 2', 'bad'], code: 'invalid_email', message: 'not an email' });
    outputs.take({ kind: 'existing', row: 3, values: [], contactId: '33', contact: contact(3) });
    expect(summary).toMatchObject({ created: 1, existing: 1, failed: 1 });
    // Nothing written yet but the headers.
    expect(lines(paths.results)).toHaveLength(2);
    expect(lines(paths.failures)).toHaveLength(2);
    expect(journalEntries(paths.journal)).toHaveLength(0);

    outputs.markSent(4);
    // The sent mark is on disk when markSent returns, after the three outcome entries.
    expect(journalEntries(paths.journal).map((e) => e.s ?? e.r)).toEqual([1, 2, 3, 4]);
    expect(lines(paths.results)).toHaveLength(2);
    expectVouched(paths);

    await turn();
    expect(lines(paths.results).slice(1, -1).map((l) => l.split(',')[0])).toEqual(['1', '3']);
    expect(lines(paths.failures).slice(1, -1).map((l) => l.split(',').at(-3))).toEqual(['2']);
    expectVouched(paths);

    outputs.take({ kind: 'created', row: 4, values: [], contactId: '44', contact: contact(4) });
    outputs.close();
    expect(lines(paths.results).slice(1, -1).map((l) => l.split(',')[0])).toEqual(['1', '3', '4']);
    expect(journalEntries(paths.journal).map((e) => e.s ?? e.r)).toEqual([1, 2, 3, 4, 4]);
    expectVouched(paths);
  });

  it('never lets an output file get ahead of the journal, whatever the interleaving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const { outputs, paths } = open(dir);
    let seed = 3;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let row = 1; row <= 3000; row++) {
      const x = random();
      if (x < 0.3) outputs.markSent(row);
      if (x < 0.85) outputs.take({ kind: 'created', row, values: [], contactId: String(row), contact: contact(row) });
      else outputs.take({ kind: 'failed', row, values: [`P ${row}`, 'x'], code: 'invalid_email', message: `bad, "quoted"\nline ${row}` });
      if (random() < 0.1) {
        await turn();
        expectVouched(paths);
      }
    }
    outputs.close();
    expectVouched(paths);
    const entries = journalEntries(paths.journal).filter((e) => e.r !== undefined);
    expect(entries).toHaveLength(3000);
    expect(readFileSync(paths.results, 'utf8').length + readFileSync(paths.failures, 'utf8').length).toBe(
      resultsHeaderLine().length + new FailureFormat(INPUT_HEADER).headerLine.length + entries.reduce((n, e) => n + e.l!.length, 0),
    );
  });

  it('writes a large batch before the turn ends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const { outputs, paths } = open(dir);
    for (let row = 1; row <= 2000; row++) outputs.take({ kind: 'created', row, values: [], contactId: String(row), contact: contact(row) });
    expect(lines(paths.results).length).toBeGreaterThan(1000);
    expectVouched(paths);
    outputs.close();
    expect(lines(paths.results)).toHaveLength(2002);
  });

  it.runIf(existsSync('/dev/full'))('a write error: the journal keeps what it vouches for, later calls and close() fail with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const { outputs, paths } = open(dir, { failures: '/dev/full' });
    outputs.take({ kind: 'created', row: 1, values: [], contactId: '11', contact: contact(1) });
    outputs.take({ kind: 'failed', row: 2, values: ['P 2', 'bad'], code: 'invalid_email', message: 'not an email' });
    await turn();
    // The journal and the results file were written before the failures file failed.
    expect(journalEntries(paths.journal).map((e) => e.r)).toEqual([1, 2]);
    expect(lines(paths.results)).toHaveLength(3);
    expect(() => outputs.take({ kind: 'created', row: 3, values: [], contactId: '33', contact: contact(3) })).toThrow(/cannot write \/dev\/full/);
    expect(() => outputs.markSent(4)).toThrow(/cannot write \/dev\/full/);
    expect(() => outputs.close()).toThrow(/cannot write \/dev\/full/);
    expect(journalEntries(paths.journal).map((e) => e.r)).toEqual([1, 2]);
  });

  it('process.exit (a second Ctrl-C) still writes the waiting lines: the exit hook flushes every open Outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const { outputs, paths } = open(dir);
    for (let row = 1; row <= 5; row++) outputs.take({ kind: 'created', row, values: [], contactId: String(row), contact: contact(row) });
    expect(process.listeners('exit')).toContain(flushAtExit);
    flushAtExit();
    expect(journalEntries(paths.journal).map((e) => e.r)).toEqual([1, 2, 3, 4, 5]);
    expect(lines(paths.results)).toHaveLength(7);
    expectVouched(paths);
    outputs.close();
  });
});

describe('private files: new, 0600, never through a link', () => {
  const modeOf = (p: string): number => statSync(p).mode & 0o777;

  it('createPrivate makes exactly 0600 whatever the umask, and refuses anything already there, a dangling link too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const old = process.umask(0);
    try {
      closeSync(createPrivate(join(dir, 'a.csv')));
    } finally {
      process.umask(old);
    }
    expect(modeOf(join(dir, 'a.csv'))).toBe(0o600);
    symlinkSync(join(dir, 'target.csv'), join(dir, 'dangling.csv'));
    expect(() => createPrivate(join(dir, 'dangling.csv'))).toThrow(/EEXIST/);
    expect(existsSync(join(dir, 'target.csv'))).toBe(false);
  });

  it('openAppend refuses a link, makes a loose file of ours 0600, and keeps its content', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const log = join(dir, 'run.log');
    writeFileSync(log, 'earlier\n', { mode: 0o644 });
    chmodSync(log, 0o644);
    const fd = openAppend(log, '--log-file');
    writeSync(fd, 'later\n');
    closeSync(fd);
    expect(modeOf(log)).toBe(0o600);
    expect(readFileSync(log, 'utf8')).toBe('earlier\nlater\n');
    symlinkSync(log, join(dir, 'link.log'));
    expect(() => openAppend(join(dir, 'link.log'), '--log-file', true)).toThrow(OutputPathError);
    expect(() => openAppend(join(dir, 'link.log'), '--log-file', true)).toThrow(/is a symbolic link: refused/);
  });

  it('writePrivateFile replaces a link (its target untouched) and a loose file by a new 0600 file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const precious = join(dir, 'precious.txt');
    writeFileSync(precious, 'keep\n');
    symlinkSync(precious, join(dir, 's.json'));
    writePrivateFile(join(dir, 's.json'), '{}\n');
    expect(readFileSync(precious, 'utf8')).toBe('keep\n');
    expect(lstatSync(join(dir, 's.json')).isFile()).toBe(true);
    expect(modeOf(join(dir, 's.json'))).toBe(0o600);
    writeFileSync(join(dir, 'r.html'), 'old', { mode: 0o644 });
    writePrivateFile(join(dir, 'r.html'), 'new');
    expect(modeOf(join(dir, 'r.html'))).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(() => writePrivateFile(join(dir, 'missing', 'x.json'), '{}')).toThrow(/cannot write .*missing\/x\.json: ENOENT/);
  });
});

describe('output paths are compared by identity, not spelling', () => {
  const target = (label: string, path: string, how: OutputTarget['how'] = 'new'): OutputTarget => ({ label, path, how });

  it('the input by any spelling, a hard link or a link is refused; distinct files pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    mkdirSync(join(dir, 'd'));
    const input = join(dir, 'd', 'in.csv');
    writeFileSync(input, 'name\nA\n');
    linkSync(input, join(dir, 'hard.csv'));
    symlinkSync(input, join(dir, 'soft.csv'));
    symlinkSync(join(dir, 'd'), join(dir, 'dirlink'));
    for (const p of [input, `${dir}/d/../d/in.csv`, `${dir}/./d/in.csv`, join(dir, 'hard.csv'), join(dir, 'soft.csv'), join(dir, 'dirlink', 'in.csv')]) {
      expect(() => checkOutputTargets(input, [target('--results', p)]), p).toThrow(/is the input file/);
    }
    expect(() => checkOutputTargets(input, [target('--results', join(dir, 'out.csv')), target('--failures', join(dir, 'd', 'out.csv'))])).not.toThrow();
    // `..` after a link is the link target's parent, as the kernel resolves it: dirlink/.. is dir, so this is dir/d/in.csv.
    expect(() => checkOutputTargets(input, [target('--summary', `${dir}/dirlink/../d/in.csv`)])).toThrow(/is the input file/);
    expect(() => checkOutputTargets(input, [target('--results', join(dir, 'd', 'out.csv')), target('--summary', join(dir, 'dirlink', 'out.csv'))])).toThrow(/are the same file/);
  });

  it('a dangling link that would create the input (or any file) is refused; so are devices', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ldi-outputs-'));
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'name\nA\n');
    symlinkSync(join(dir, 'nowhere.csv'), join(dir, 'dangling.csv'));
    expect(() => checkOutputTargets(input, [target('--failures', join(dir, 'dangling.csv'))])).toThrow(/--failures .*dangling\.csv is a symbolic link \(to .*nowhere\.csv\)/);
    expect(existsSync(join(dir, 'nowhere.csv'))).toBe(false);
    expect(() => checkOutputTargets(input, [target('--summary', '/dev/null')])).toThrow(/is a character device/);
  });
});
