import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffDelimiter } from '../src/source/csv-dialect.js';
import { openCsvSource } from '../src/source/csv-source.js';
import { SourceError } from '../src/source/errors.js';
import type { SourceRecord } from '../src/types.js';

const dir = mkdtempSync(join(tmpdir(), 'ldi-source-'));
let n = 0;
function file(content: string | Buffer): string {
  const p = join(dir, `f${n++}.csv`);
  writeFileSync(p, content);
  return p;
}
async function all(path: string, opts = {}): Promise<{ header: string[]; delimiter: string; recs: SourceRecord[] }> {
  const src = await openCsvSource(path, opts);
  const recs: SourceRecord[] = [];
  for await (const r of src.records) recs.push(r);
  return { header: src.header, delimiter: src.format.delimiter, recs };
}

describe('openCsvSource', () => {
  it('reads the header, strips a BOM, numbers rows and their starting lines', async () => {
    const { header, recs } = await all(file('\uFEFFname,email\nAda,ada@example.com\n\n"Bob\nJr",bob@example.com\nCy,cy@example.com'));
    expect(header).toEqual(['name', 'email']);
    expect(recs.map((r) => [r.kind, r.row, r.line])).toEqual([
      ['record', 1, 2],
      ['record', 2, 4],
      ['record', 3, 6],
    ]);
    expect(recs[1]!.values).toEqual(['Bob\nJr', 'bob@example.com']);
  });

  it('handles CRLF and old-Mac CR line ends', async () => {
    const { recs } = await all(file('a,b\r\n1,2\r\n3,4\r\n'));
    expect(recs.map((r) => r.values)).toEqual([['1', '2'], ['3', '4']]);
    const cr = await all(file('a,b\r1,2\r3,4\r'));
    expect(cr.recs.map((r) => [r.line, ...r.values])).toEqual([[2, '1', '2'], [3, '3', '4']]);
  });

  it('sniffs ; tab and | delimiters from the header, and obeys an explicit one', async () => {
    expect((await all(file('name;email\nA;a@x.org\n'))).delimiter).toBe(';');
    expect((await all(file('name\temail\nA\ta@x.org\n'))).recs[0]!.values).toEqual(['A', 'a@x.org']);
    expect(sniffDelimiter('"a,b"|c|d')).toBe('|');
    expect((await all(file('name;x,email\n1;2,3\n'), { delimiter: ',' })).header).toEqual(['name;x', 'email']);
  });

  it('turns a row with the wrong number of fields into a malformed record, and goes on', async () => {
    const { recs } = await all(file('a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n'));
    expect(recs.map((r) => r.kind)).toEqual(['record', 'malformed', 'malformed', 'record']);
    const short = recs[1]!;
    expect(short.kind === 'malformed' && short.message).toMatch(/line 3: row has 2 fields but the header has 3/);
    expect(short.values).toEqual(['4', '5', '']);
    const long = recs[2]!;
    expect(long.kind === 'malformed' && long.message).toMatch(/extra values "9"/);
    expect(long.values).toEqual(['6', '7', '8']);
    expect(recs[3]!.row).toBe(4);
  });

  it('reports an unterminated quote as one malformed row with its line, and reads the rows after it', async () => {
    const { recs } = await all(file('a,b\n1,2\n"3,4\n5,6\n'));
    expect(recs.map((r) => [r.kind, r.row, r.line])).toEqual([
      ['record', 1, 2],
      ['malformed', 2, 3],
      ['record', 3, 4],
    ]);
    expect(recs[1]!.kind === 'malformed' && recs[1]!.message).toMatch(/never closed/);
  });

  it('refuses a missing or empty file and a giant record with a clear error', async () => {
    await expect(openCsvSource(join(dir, 'nope.csv'))).rejects.toThrow(/no such file/);
    await expect(openCsvSource(file(''))).rejects.toThrow(SourceError);
    const big = file('a,b\n1,2\n' + 'x'.repeat(5000) + ',y\n3,4\n');
    await expect(all(big, { maxRecordBytes: 1000 })).rejects.toThrow(/line 3: a record is larger than 1000 bytes/);
  });
});
