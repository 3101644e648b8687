// A stray quote costs one row wherever it is, in the first read of the file too (review of issue
// 14, finding 2). The header's width decides whether a record that spans lines is a stray quote's
// (csv-records.ts); the rows that came in the same read as the header used to be parsed before
// that width was known, so a stray quote in the first ~64 KB swallowed the lines up to the next
// quote (rows 31–33 read as row 30's "note") where the same damage further down failed one line.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv, runCli } from './helpers/cli.js';
import { readAll, scratchFiles } from './helpers/source.js';

const { dir, file } = scratchFiles('ldi-source-stray-first-');

/** 3,000 rows; rows `opens` get `"note N` in Notes and rows `closes` `Person N"` as their name. */
function damaged(rows: number, pairs: Array<[number, number]>, eol = '\n'): string {
  const opens = new Set(pairs.map((p) => p[0]));
  const closes = new Set(pairs.map((p) => p[1]));
  const lines = ['Name,Email,Phone,Notes'];
  for (let r = 1; r <= rows; r++) {
    const name = closes.has(r) ? `Person ${r}"` : `Person ${r}`;
    const notes = opens.has(r) ? `"note ${r}` : `note ${r}`;
    lines.push(`${name},p${r}@example.com,+1212555${String(r).padStart(4, '0')},${notes}`);
  }
  return lines.join(eol) + eol;
}

describe('a stray quote in the first read of the file', () => {
  for (const [label, opts] of [
    ['64 KB reads', {}],
    ['reads of 7 bytes (the header split across reads)', { readChunkBytes: 7 }],
  ] as const) {
    it(`costs exactly one row, as further down (${label})`, async () => {
      const { header, recs } = await readAll(file(damaged(3000, [[30, 33], [2500, 2503]])), opts);
      expect(header).toEqual(['Name', 'Email', 'Phone', 'Notes']);
      expect(recs).toHaveLength(3000);
      const bad = recs.filter((r) => r.kind === 'malformed');
      expect(bad.map((r) => [r.row, r.line])).toEqual([
        [30, 31],
        [2500, 2501],
      ]);
      for (const b of bad) expect(b.kind === 'malformed' && b.message).toMatch(/a stray quote\?\): this line alone is failed/);
      // Every other row is read with its own values, row number and line: nothing shifted.
      recs.forEach((r, i) => {
        expect([r.row, r.line]).toEqual([i + 1, i + 2]);
        if (r.kind === 'record') expect(r.values[1]).toBe(`p${i + 1}@example.com`);
      });
      expect(recs[32]!.values[0]).toBe('Person 33"');
    });
  }

  it('in a file with a preamble: the rows after the header are checked against its width', async () => {
    // (Past the rows that confirm the header: a stray quote among those hides the header.)
    const text = 'Exported by CRM v2, 2024-05-01\n' + damaged(40, [[6, 9]], '\r\n');
    const { header, recs } = await readAll(file(text));
    expect(header).toEqual(['Name', 'Email', 'Phone', 'Notes']);
    expect(recs).toHaveLength(40);
    expect(recs.filter((r) => r.kind === 'malformed').map((r) => [r.row, r.line])).toEqual([[6, 8]]);
    recs.forEach((r, i) => expect([r.row, r.line]).toEqual([i + 1, i + 3]));
  });

  it('a flood of blank lines after the header is not kept to parse again (memory stays bounded): rows read as before', async () => {
    const text = 'Name,Email,Phone,Notes\n' + '\n'.repeat(20_000) + 'Ann,a@example.com,+12125550001,x\nBob,b@example.com,+12125550002,y\n';
    const { header, recs } = await readAll(file(text), { maxRecordBytes: 2000, maxFieldBytes: 1000 });
    expect(header).toEqual(['Name', 'Email', 'Phone', 'Notes']);
    expect(recs.map((r) => [r.kind, r.row, r.line, r.values[0]])).toEqual([
      ['record', 1, 20_002, 'Ann'],
      ['record', 2, 20_003, 'Bob'],
    ]);
  });

  it('a dry run of the reviewer\'s file: 2 failed rows, 2,998 valid', async () => {
    const input = join(dir, 'qpairbig.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(input, damaged(3000, [[30, 33], [2500, 2503]]));
    const run = await runCli([input, '--dry-run']);
    expect(run.code, run.stderr).toBe(1); // rows failed
    expect(run.stderr).toMatch(/3,?000 rows read, 2,?998 valid, 2 invalid/);
    const failures = readCsv(join(dir, 'qpairbig.dry-run.failures.csv')).rows;
    expect(failures.map((f) => [f._row, f.Email])).toEqual([
      ['30', 'p30@example.com'],
      ['2500', 'p2500@example.com'],
    ]);
  });
});
