// Outputs writes outcome lines in batches (once per event-loop turn, or with the next sent mark):
// the journal's entries always reach the disk before the output lines they vouch for, every file
// only ever holds whole lines, and nothing waiting is lost at close, at process.exit or on a write error.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { CsvLineFile } from '../src/sinks/csv-file.js';
import { FailureFormat } from '../src/sinks/failures.js';
import { Journal, JOURNAL_FORMAT } from '../src/sinks/journal.js';
import { flushAtExit, Outputs } from '../src/sinks/outputs.js';
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
