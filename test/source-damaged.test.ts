import { createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCsvSource } from '../src/source/csv-source.js';
import { SourceError } from '../src/source/errors.js';
import { DEFAULT_MAX_COLUMNS, DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_RECORD_BYTES } from '../src/source/limits.js';
import type { SourceRecord } from '../src/types.js';
import { readAll, scratchFiles } from './helpers/source.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const fx = (name: string): string => join(FIXTURES, 'damaged', name);

const { dir, file } = scratchFiles('ldi-damaged-');
const read = readAll;
const shape = (recs: SourceRecord[]) => recs.map((r) => [r.kind, r.row, r.line]);
const message = (r: SourceRecord | undefined): string => (r?.kind === 'malformed' ? r.message : `not malformed: ${JSON.stringify(r)}`);

describe('defaults', () => {
  it('are exported for the flags', () => {
    expect(DEFAULT_MAX_FIELD_BYTES).toBe(65536);
    expect(DEFAULT_MAX_RECORD_BYTES).toBe(1048576);
    expect(DEFAULT_MAX_COLUMNS).toBe(1000);
  });
});

describe('damaged rows become malformed records; every other row is read', () => {
  it('too few and too many fields', async () => {
    const { recs } = await read(fx('field-count.csv'));
    expect(shape(recs)).toEqual([
      ['record', 1, 2],
      ['malformed', 2, 3],
      ['malformed', 3, 4],
      ['record', 4, 5],
    ]);
    expect(recs[1]!.values).toEqual(['Bob', 'bob@example.com', '']);
    expect(message(recs[1])).toBe('line 3: row has 2 fields but the header has 3 (a line break inside an unquoted value, or missing delimiters?)');
    expect(recs[2]!.values).toEqual(['Cy', 'cy@example.com', '+14155550100']);
    expect(message(recs[2])).toBe('line 4: row has 4 fields but the header has 3; extra values "extra" were cut off (an unquoted delimiter inside a value?)');
  });

  it('a NUL byte', async () => {
    const { recs } = await read(fx('nul-byte.csv'));
    expect(shape(recs)).toEqual([
      ['record', 1, 2],
      ['malformed', 2, 3],
      ['record', 3, 4],
    ]);
    expect(recs[1]!.values).toEqual(['Bob', 'bob\0@example.com']);
    expect(message(recs[1])).toBe('line 3, column "email": contains a NUL byte (binary data?); remove it, and check that the file was exported as text');
  });

  it('a field over the size limit: the row is malformed, its value cut to 100 characters', async () => {
    const { recs } = await read(fx('oversized-field.csv'), { maxFieldBytes: 256 });
    expect(shape(recs)).toEqual([
      ['record', 1, 2],
      ['malformed', 2, 3],
      ['record', 3, 4],
    ]);
    expect(recs[1]!.values).toEqual(['Bob', 'bob@example.com', '0123456789'.repeat(10) + '…']);
    expect(message(recs[1])).toBe('line 3, column "notes": field is 300 bytes long, more than --max-field-size 256; shorten it, or raise --max-field-size');
    expect((await read(fx('oversized-field.csv'))).recs.every((r) => r.kind === 'record')).toBe(true);
  });

  it('a field over the default 64 KiB limit, measured in UTF-8 bytes', async () => {
    const p = file(`name,notes\nA,${'é'.repeat(35_000)}\nB,${'x'.repeat(65_536)}\nC,ok\n`);
    const { recs } = await read(p);
    expect(shape(recs)).toEqual([
      ['malformed', 1, 2],
      ['record', 2, 3],
      ['record', 3, 4],
    ]);
    expect(message(recs[0])).toBe('line 2, column "notes": field is 70,000 bytes long, more than --max-field-size 65536; shorten it, or raise --max-field-size');
    expect(recs[0]!.values[1]).toBe('é'.repeat(100) + '…');
  });

  it('an unterminated quote: its line alone fails, with its text, and the rows after it are read', async () => {
    const { recs } = await read(fx('unterminated-quote.csv'));
    expect(shape(recs)).toEqual([
      ['record', 1, 2],
      ['record', 2, 3],
      ['malformed', 3, 4],
      ['record', 4, 5],
    ]);
    expect(message(recs[2])).toMatch(/^line 4: a quote that opens a value in this line is never closed \(a stray quote\?\): this line alone is failed, and reading went on at line 5/);
    expect(recs[2]!.kind === 'malformed' && recs[2]!.raw).toBe('"Cy,cy@example.com');
  });

  it('lists every problem of a row, and caps what it quotes', async () => {
    const extras = Array.from({ length: 8 }, (_, i) => (i === 0 ? 'y'.repeat(150) : `e${i}`));
    const p = file(`a,b,c\n1,x\0,${'z'.repeat(300)},${extras.join(',')}\n2,3,4\n`);
    const { recs } = await read(p, { maxFieldBytes: 200 });
    expect(shape(recs)).toEqual([
      ['malformed', 1, 2],
      ['record', 2, 3],
    ]);
    expect(message(recs[0])).toBe(
      `line 2: row has 11 fields but the header has 3; extra values "${'y'.repeat(100)}…", "e1", "e2", "e3", "e4" and 3 more were cut off (an unquoted delimiter inside a value?); ` +
        'column "b": contains a NUL byte (binary data?); remove it, and check that the file was exported as text; ' +
        'column "c": field is 300 bytes long, more than --max-field-size 200; shorten it, or raise --max-field-size',
    );
    expect(recs[0]!.values).toEqual(['1', 'x\0', 'z'.repeat(100) + '…']);
  });

  it('names an unnamed column by its position', async () => {
    const { recs } = await read(file('a,,c\n1,\0,3\n'));
    expect(message(recs[0])).toMatch(/^line 2, column 2: contains a NUL byte/);
  });
});

describe('dialects and line ends', () => {
  it('CR-only line ends, with a CR inside quotes', async () => {
    const { recs } = await read(fx('cr-only.csv'));
    expect(recs).toEqual([
      { kind: 'record', row: 1, line: 2, values: ['Ada', 'ada@example.com'] },
      { kind: 'record', row: 2, line: 3, values: ['Bob\rJr', 'bob@example.com'] },
      { kind: 'record', row: 3, line: 5, values: ['Cy', 'cy@example.com'] },
    ]);
  });

  it('CRLF with a multi-line quoted note: line numbers count each CRLF once', async () => {
    const { recs } = await read(fx('crlf-multiline.csv'));
    expect(shape(recs)).toEqual([
      ['record', 1, 2],
      ['record', 2, 6],
      ['malformed', 3, 7],
    ]);
    expect(recs[0]!.values[2]).toBe('line one\r\nline two\r\nline three');
    expect(message(recs[2])).toMatch(/^line 7: row has 2 fields but the header has 3/);
  });

  it('LF and CRLF mixed in one file', async () => {
    const { recs } = await read(fx('mixed-line-ends.csv'));
    expect(recs.map((r) => [r.kind, r.line, ...r.values])).toEqual([
      ['record', 2, 'Ada', 'ada@example.com'],
      ['record', 3, 'Bob', 'bob@example.com'],
      ['record', 4, 'Cy', 'cy@example.com'],
    ]);
  });

  it.each([
    ['semicolon.csv', ';', ['Name', 'E-mail', 'Notes'], [['Müller, Hans', 'hans@example.de', 'Rabatt 2,5 %; "VIP"\nzweite Zeile'], ['Dupont', 'marie@example.fr', 'ok']], [2, 4]],
    ['tab.csv', '\t', ['Name', 'Email', 'Notes'], [['Ada', 'ada@example.com', 'tab\there, "quoted"'], ['Bob', 'bob@example.com', 'plain, with comma']], [2, 3]],
    ['pipe.csv', '|', ['name', 'email', 'notes'], [['Ada', 'ada@example.com', 'a | b'], ['Bob', 'bob@example.com', 'x;y,z']], [2, 3]],
  ])('%s: delimiter sniffed, quoted delimiters, quotes and line breaks kept', async (name, delimiter, header, values, lines) => {
    const r = await read(fx(name));
    expect(r.delimiter).toBe(delimiter);
    expect(r.header).toEqual(header);
    expect(r.recs.map((x) => x.values)).toEqual(values);
    expect(r.recs.map((x) => x.line)).toEqual(lines);
    expect(r.recs.every((x) => x.kind === 'record')).toBe(true);
  });

  it('sniffs the delimiter past a line break inside a quoted header cell', async () => {
    const r = await read(file('"Full\nName";Email\nAda;ada@example.com\n'));
    expect(r.delimiter).toBe(';');
    expect(r.header).toEqual(['Full\nName', 'Email']);
    expect(r.recs).toEqual([{ kind: 'record', row: 1, line: 3, values: ['Ada', 'ada@example.com'] }]);
  });

  it('--delimiter overrides the sniffed one', async () => {
    const r = await read(fx('semicolon.csv'), { delimiter: ',' });
    expect(r.delimiter).toBe(',');
    expect(r.header).toEqual(['Name;E-mail;Notes']);
  });
});

describe('files that are not CSV stop with a SourceError', () => {
  it('a header with more columns than the limit', async () => {
    const p = file(Array.from({ length: 1001 }, (_, i) => `c${i}`).join(',') + '\n' + '1,'.repeat(1000) + '1\n');
    await expect(openCsvSource(p)).rejects.toThrow(/, line 1: the header has 1,001 columns, more than the 1000 accepted: the first line is probably not a header row, or the delimiter is wrong \(pass --delimiter\)/);
    await expect(openCsvSource(file('a,b,c\n1,2,3\n'), { maxColumns: 2 })).rejects.toThrow(SourceError);
    expect((await read(p, { maxColumns: 1001 })).recs).toHaveLength(1);
  });

  it('a header with NUL bytes (binary, or UTF-16 without its pattern)', async () => {
    const nul = Buffer.from([0x51, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0x2c, 0x62, 0x0a]);
    await expect(openCsvSource(file(nul))).rejects.toThrow(
      /, line 1: the header contains NUL bytes: the file is binary, or UTF-16 text without a byte-order mark \(then pass --encoding utf-16le or --encoding utf-16be\)/,
    );
    // A zip is named for what it is: a workbook.
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0x2c, 0x62, 0x0a]);
    await expect(openCsvSource(file(zip))).rejects.toThrow(/is an \.xlsx workbook \(a zip archive\), not CSV: give it a name ending in \.xlsx/);
    // NULs only at odd positions look like UTF-16LE; decoded so, the header is garbage with a
    // broken surrogate, which is refused too.
    const odd = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x14, 0xd8, 0x42]);
    await expect(openCsvSource(file(odd))).rejects.toThrow(SourceError);
  });

  it('a header row without a single column name (the spreadsheet starts with an empty row)', async () => {
    await expect(openCsvSource(file(',,\nname,email,phone\n'))).rejects.toThrow(/, line 1: the header row has no column names: .*if the spreadsheet starts with an empty row, delete it/);
    await expect(openCsvSource(file('"", \na,b\n'))).rejects.toThrow(/the header row has no column names/);
  });

  it('a file with only blank lines, or empty', async () => {
    await expect(openCsvSource(file('\n\r\n\n'))).rejects.toThrow(/has no header row/);
    await expect(openCsvSource(file(''))).rejects.toThrow(/has no header row/);
  });

  it('a header that is a huge line', async () => {
    const p = file('x'.repeat(300_000));
    await expect(openCsvSource(p)).rejects.toThrow(/header column 1 is 300,000 bytes long: the first line is probably not a header row/);
    await expect(openCsvSource(p, { maxRecordBytes: 100_000 })).rejects.toThrow(/the header row is larger than 100000 bytes: the file is probably not CSV/);
  });

  it('a quoted record over the record limit: its first line fails, and the rows after it are read', async () => {
    const p = file('a,b\r\n1,"two\r\nlines"\r\n\r\n3,4\r\n"' + 'x'.repeat(500) + '\r\n' + 'y'.repeat(500) + '\r\n5,6\r\n');
    const { recs } = await read(p, { maxRecordBytes: 800 });
    expect(shape(recs)).toEqual([
      ['record', 1, 2],
      ['record', 2, 5],
      ['malformed', 3, 6],
      ['malformed', 4, 7],
      ['record', 5, 8],
    ]);
    expect(message(recs[2])).toMatch(/^line 6: a record that starts in this line grows past 800 bytes \(a quote never closed\?\)/);
    expect(recs[2]!.kind === 'malformed' && recs[2]!.raw).toBe('"' + 'x'.repeat(500));
    // The next line, read again on its own, is a row of one field.
    expect(message(recs[3])).toMatch(/^line 7: row has 1 fields but the header has 2/);
  });

  it('a line longer than the record limit, even one made only of delimiters', async () => {
    const p = file('a,b\n1,2\n' + ';'.repeat(40) + ',,,'.repeat(100) + '\n3,4\n');
    const src = await openCsvSource(p, { maxRecordBytes: 200 });
    const seen: SourceRecord[] = [];
    await expect(
      (async () => {
        for await (const r of src.records) seen.push(r);
      })(),
    ).rejects.toThrow(/, line 3: a record is larger than 200 bytes/);
    expect(shape(seen)).toEqual([['record', 1, 2]]);
    // Exactly at the limit is fine; a quoted record may span many lines up to the limit.
    const ok = await read(file('a,b\n' + 'x'.repeat(98) + ',' + 'y'.repeat(101) + '\n"' + 'z\n'.repeat(50) + '",2\n'), { maxRecordBytes: 200 });
    expect(shape(ok.recs)).toEqual([
      ['record', 1, 2],
      ['record', 2, 3],
    ]);
  });

  it('a missing file, a folder', async () => {
    await expect(openCsvSource(join(dir, 'nope.csv'))).rejects.toThrow(/cannot read input file .*nope\.csv: no such file/);
    await expect(openCsvSource(dir)).rejects.toThrow(/it is a folder/);
  });

  it('closing the source early stops reading the file', async () => {
    const out = createWriteStream(join(dir, 'many.csv'));
    out.write('a,b\n');
    for (let i = 0; i < 20000; i++) out.write(`${i},${i}\n`);
    await new Promise<void>((resolve) => out.end(resolve));
    const src = await openCsvSource(join(dir, 'many.csv'));
    let count = 0;
    for await (const r of src.records) {
      if (++count === 3) break;
      expect(r.kind).toBe('record');
    }
    src.close();
    expect(src.bytesRead()).toBeLessThan(1024 * 1024);
  });
});
