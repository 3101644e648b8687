// A stray opening quote costs one row, not the rest of the file (issue 14, finding 2).
//
// Property: in a large file written the way CSV writers write (values with a delimiter, a quote or
// a line break quoted, quotes doubled), one `"` put at the start of any unquoted value of any
// one-line row, or anywhere in its text, makes that row, and only that row, fail or change: every other row is read with
// its own values, its own row number and its own line. Fixed seed; explore with
// FC_SEED=$RANDOM FC_RUNS=200 npx vitest run test/source-stray-quote.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, emptySummary, formatSummary } from '../src/sinks/summary.js';
import { MAX_QUOTED_FIELD_LINES, TextRecords } from '../src/source/csv-records.js';
import type { SourceRecord } from '../src/types.js';
import { readAll, scratchFiles } from './helpers/source.js';

const SEED = Number(process.env.FC_SEED ?? 20_261_201);
const RUNS = Number(process.env.FC_RUNS ?? 25);
const { file } = scratchFiles('ldi-source-stray-');

const HEADER = ['Name', 'Email', 'Phone', 'Notes'];

const cellArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('Ada Lovelace', 'ada@example.com', '+44 7700 900123', '', 'VIP', 'called back') },
  { weight: 2, arbitrary: fc.constantFrom('Smith, John', 'said "hi"', 'a;b', '"quoted"', 'O\'Brien') },
  // Multi-line notes, as a CRM exports them (never starting with a line break or a delimiter).
  { weight: 1, arbitrary: fc.array(fc.constantFrom('met at the fair', 'call again', 'x, y'), { minLength: 2, maxLength: 5 }).map((l) => l.join('\n')) },
);

function cellText(v: string, d: string): string {
  return v.includes('"') || v.includes(d) || v.includes('\n') || v.includes('\r') ? `"${v.replace(/"/g, '""')}"` : v;
}

interface Written {
  text: string;
  rows: string[][];
  /** Physical line of each row. */
  lines: number[];
  /** Which row got the stray quote. */
  damaged: number;
}

const caseArb = fc
  .record({
    rows: fc.array(fc.array(cellArb, { minLength: 4, maxLength: 4 }), { minLength: 300, maxLength: 2500 }),
    eol: fc.constantFrom('\n', '\r\n'),
    delimiter: fc.constantFrom(',', ';'),
    pick: fc.nat(),
    field: fc.nat(3),
    // Where in the row's text the quote goes: at the start of a value, or anywhere at all.
    anywhere: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ rows, eol, delimiter, pick, field, anywhere }): Written & { delimiter: string } => {
    const oneLine = rows.map((r, i) => [r, i] as const).filter(([r]) => r.every((v) => !v.includes('\n')));
    const damaged = oneLine.length === 0 ? -1 : oneLine[pick % oneLine.length]![1];
    const lines: number[] = [];
    let line = 2;
    const out = [HEADER.join(delimiter)];
    rows.forEach((r, i) => {
      lines.push(line);
      const cells = r.map((v) => cellText(v, delimiter));
      if (i === damaged && anywhere === undefined) {
        // The first unquoted value at or after `field` (every row has one: a value without a
        // quote is written bare), else the first one.
        const at = [field, 0, 1, 2, 3].find((f) => !cells[f]!.startsWith('"'));
        if (at !== undefined) cells[at] = '"' + cells[at];
      }
      let text = cells.join(delimiter);
      if (i === damaged && anywhere !== undefined) {
        const at = anywhere % (text.length + 1);
        text = text.slice(0, at) + '"' + text.slice(at);
      }
      // Excel's way: rows end in the file's line end, a line break inside a value stays LF.
      out.push(text);
      line += 1 + (r.join('').match(/\n/g) ?? []).length;
    });
    return { text: out.join(eol) + eol, rows, lines, damaged, delimiter };
  });

describe('a stray quote costs its own row only', () => {
  it('every row but the damaged one is read, with its values, row number and line', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (w) => {
        fc.pre(w.damaged >= 0);
        const { recs } = await readAll(file(w.text), { delimiter: w.delimiter });
        expect(recs).toHaveLength(w.rows.length);
        recs.forEach((rec, i) => {
          expect(rec.row).toBe(i + 1);
          expect(rec.line).toBe(w.lines[i]);
          if (i === w.damaged) return;
          expect(rec.kind).toBe('record');
          expect(rec.values).toEqual(w.rows[i]);
        });
        const bad = recs[w.damaged]!;
        if (bad.kind === 'malformed' && /stray quote/.test(bad.message)) {
          // Its raw text is its one line, as written.
          expect(w.text).toContain(bad.raw);
          expect(bad.raw).not.toMatch(/[\r\n]/);
        }
      }),
      { seed: SEED, numRuns: RUNS, timeout: 20_000 },
    );
  });

  it('a quote that runs over more lines than the limit is cut there, not at the end of the file', () => {
    // Driven directly, in small chunks: the stray is reported once the limit is passed, while the
    // rest of the file is still to come.
    const recs = new TextRecords({ delimiter: ',', maxRecordBytes: 1 << 20, width: 2 });
    const out = recs.write(Buffer.from('a,b\n1,"open\n'));
    for (let i = 0; i < MAX_QUOTED_FIELD_LINES + 5; i++) out.push(...recs.write(Buffer.from(`${i},x\n`)));
    const stray = out.find((x) => x.kind === 'stray');
    expect(stray).toMatchObject({ kind: 'stray', line: 2, raw: '1,"open' });
    expect(stray!.kind === 'stray' && stray!.reason).toMatch(/runs over more than 100 lines/);
    out.push(...recs.end());
    const rows = out.filter((x) => x.kind === 'record').map((x) => x.kind === 'record' && x.values);
    expect(rows[0]).toEqual(['a', 'b']);
    expect(rows.slice(1)).toEqual(Array.from({ length: MAX_QUOTED_FIELD_LINES + 5 }, (_, i) => [String(i), 'x']));
  });

  it('a stray that meets a real quoted value further down: only its row fails', async () => {
    const p = file('name,email,notes\nAda,"ada@example.com,x\nBob,bob@example.com,ok\n"Smith, John",js@example.com,fine\nCy,cy@example.com,\n');
    const { recs } = await readAll(p);
    expect(recs.map((r: SourceRecord) => [r.kind, r.row, r.line])).toEqual([
      ['malformed', 1, 2],
      ['record', 2, 3],
      ['record', 3, 4],
      ['record', 4, 5],
    ]);
    expect(recs[0]!.kind === 'malformed' && recs[0]!.raw).toBe('Ada,"ada@example.com,x');
    expect(recs[2]!.values).toEqual(['Smith, John', 'js@example.com', 'fine']);
  });

  it('a real multi-line note with the wrong number of fields says how many lines the row covered', async () => {
    const p = file('name,email\nAda,"line one\nline two\nline three",extra\nBob,bob@example.com\n');
    const { recs } = await readAll(p);
    // The width rule reads it as a stray: the note's first line fails, its other lines are rows.
    expect(recs[0]!.kind).toBe('malformed');
    expect(recs.at(-1)!.values).toEqual(['Bob', 'bob@example.com']);
    // A multi-line record that is malformed for another reason keeps its lines together.
    const q = file('name,email\nAda,"line one\nline two\u0000"\nBob,bob@example.com\n');
    const r2 = await readAll(q);
    expect(r2.recs.map((r: SourceRecord) => [r.kind, r.row, r.line])).toEqual([
      ['malformed', 1, 2],
      ['record', 2, 4],
    ]);
    const m = r2.recs[0]!;
    expect(m.kind === 'malformed' && m.lines).toBe(2);
    expect(m.kind === 'malformed' && m.message).toMatch(/^line 2 \(a record of 2 lines, to line 3\), column "email": contains a NUL byte/);
    expect(m.kind === 'malformed' && m.raw).toBe('Ada,"line one\nline two\u0000"');
  });

  it('the summary says how many lines a malformed row covered, when more than one', () => {
    const s = emptySummary(true, 'f.csv');
    count(s, { kind: 'failed', row: 3, values: [], code: 'malformed_row', message: 'line 4 (a record of 2 lines, to line 5): …', lines: 2 });
    count(s, { kind: 'failed', row: 7, values: [], code: 'malformed_row', message: 'line 9 (a record of 5 lines, to line 13): …', lines: 5 });
    count(s, { kind: 'failed', row: 9, values: [], code: 'malformed_row', message: 'line 15: a quote … (a stray quote?)' });
    expect(s.multiLineMalformed).toEqual({ rows: 2, row: 7, lines: 5 });
    expect(formatSummary(s)).toMatch(/2 malformed rows covered more than one line of the file \(row 7: 5 lines\)/);
  });
});
