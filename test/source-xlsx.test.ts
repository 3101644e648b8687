import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { CONTACTS_SHEET_ROWS, entryTexts, fixtures, rawWorkbook, repack, zipOf } from '../fixtures/xlsx/make-xlsx.mjs';
import { detectMapping, isBlankRow, mapRow } from '../src/map/index.js';
import { openCsvSource } from '../src/source/csv-source.js';
import { SourceError } from '../src/source/errors.js';
import { classifyFormat, formatNumber, plainNumber, serialToIso } from '../src/source/xlsx-format.js';
import { columnLetters } from '../src/source/xlsx-sheet.js';
import { openXlsxSource, type XlsxSourceOptions } from '../src/source/xlsx-source.js';
import type { SourceRecord } from '../src/types.js';

const fx = (name: string): string => join(import.meta.dirname, '..', 'fixtures', 'xlsx', name);
const dir = mkdtempSync(join(tmpdir(), 'ldi-xlsx-'));
let n = 0;
function file(bytes: Buffer | string, ext = 'xlsx'): string {
  const p = join(dir, `f${n++}.${ext}`);
  writeFileSync(p, bytes);
  return p;
}

async function read(path: string, opts: XlsxSourceOptions = {}): Promise<{ header: string[]; recs: SourceRecord[]; size: number; bytesRead: number }> {
  const src = await openXlsxSource(path, opts);
  const recs: SourceRecord[] = [];
  for await (const r of src.records) recs.push(r);
  return { header: src.header, recs, size: readFileSync(path).length, bytesRead: src.bytesRead() };
}

/** A one-sheet workbook from <row> XML; `s` attributes index `cellXfs` (numFmtIds). */
async function sheet(rows: string, extra: Omit<Parameters<typeof rawWorkbook>[0], 'sheets'> = {}): Promise<string> {
  return file(await rawWorkbook({ sheets: [{ name: 'S', rows }], ...extra }));
}

/** The values of the one data row under a header A1 = "v". */
async function values(cells: string, extra: Omit<Parameters<typeof rawWorkbook>[0], 'sheets'> = {}): Promise<string[]> {
  const header = '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c><c r="C1" t="inlineStr"><is><t>c</t></is></c></row>';
  const { recs } = await read(await sheet(header + `<row r="2">${cells}</row>`, extra));
  expect(recs).toHaveLength(1);
  expect(recs[0]!.kind).toBe('record');
  return recs[0]!.values;
}

async function sourceError(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SourceError);
  return (e as Error).message;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fixtures/xlsx', () => {
  it('are what make-xlsx.mjs writes (run node fixtures/xlsx/make-xlsx.mjs after changing it)', async () => {
    for (const [name, bytes] of Object.entries(await fixtures())) {
      const disk = readFileSync(fx(name));
      if (name.endsWith('.csv') || name === 'not-really.xlsx') expect(disk.equals(bytes), name).toBe(true);
      else expect(await entryTexts(disk), name).toEqual(await entryTexts(bytes));
    }
  });
});

describe('openXlsxSource on contacts.xlsx', () => {
  it('reads the first sheet with values as Excel shows them and the sheet’s own row numbers', async () => {
    const { header, recs, size, bytesRead } = await read(fx('contacts.xlsx'));
    expect(header).toEqual(['Contact ID', 'Name', 'Email', 'Phone', 'Signed Up']);
    expect(recs.map((r) => [r.kind, r.row, r.line])).toEqual(CONTACTS_SHEET_ROWS.map((r) => ['record', r, r]));
    expect(recs.map((r) => r.values)).toEqual([
      // An ID and a 13-digit phone stored as numbers: whole, no exponent.
      ['1001', 'Ada Lovelace', 'ada@example.com', '4915112345678', '2024-03-01'],
      // Format 00000 keeps the zeros; rich text and a hyperlink give their text; a text phone
      // keeps its +; a date with a time gives both.
      ['00042', 'Bob Stone', 'bob@example.com', '+44 20 7946 0958', '2024-03-02T14:30:00'],
      // The cleared row is in the file: yielded empty, so the pipeline counts it as skipped.
      ['', '', '', '', ''],
      // Row 5 is not in the file and is not invented. A formula gives its saved result; a
      // number under the format "+"0 shows its +; the locale short date becomes ISO.
      ['C-7', 'Cy Young', 'cy@example.com', '+4930123456', '2023-12-31'],
      ['1004', "Dee O'Neil", 'dee@example', '07700 900123', 'soon'],
    ]);
    expect(bytesRead).toBe(size);
  });

  it('yields, row by row, the values of the same data saved as CSV, and maps and validates them alike', async () => {
    const xlsx = await read(fx('contacts.xlsx'));
    const csv = await openCsvSource(fx('contacts.csv'));
    const csvRecs: SourceRecord[] = [];
    for await (const r of csv.records) csvRecs.push(r);
    expect(xlsx.header).toEqual(csv.header);
    expect(xlsx.recs.map((r) => r.values)).toEqual(csvRecs.map((r) => r.values));
    expect(csvRecs.map((r) => r.kind)).toEqual(xlsx.recs.map((r) => r.kind));

    const mapping = detectMapping(xlsx.header);
    expect(mapping).toEqual(detectMapping(csv.header));
    const outcome = (values: string[]): unknown => (isBlankRow(values) ? 'skipped' : mapRow(values, mapping, {}));
    expect(xlsx.recs.map((r) => outcome(r.values))).toEqual(csvRecs.map((r) => outcome(r.values)));
  });

  it('reads the same whether the zip stores the sheets before or after the shared text', async () => {
    const reordered = file(await repack(readFileSync(fx('contacts.xlsx')), 'strings-first'));
    expect((await read(reordered)).recs).toEqual((await read(fx('contacts.xlsx'))).recs);
  });

  it('picks another sheet by name, ignoring case', async () => {
    expect((await openXlsxSource(fx('contacts.xlsx'))).format.sheet).toBe('Contacts');
    expect((await openXlsxSource(fx('contacts.xlsx'), { sheet: 'notes' })).format.sheet).toBe('Notes');
    const { header, recs } = await read(fx('contacts.xlsx'), { sheet: 'notes' });
    expect(header).toEqual(['Note', 'Author', 'Done']);
    expect(recs.map((r) => [r.row, ...r.values])).toEqual([
      [2, 'Call back in May', 'Ada', 'FALSE'],
      [3, 'Prefers email', 'Bob', 'TRUE'],
    ]);
  });

  it('refuses an unknown sheet name, listing the sheets there are', async () => {
    const msg = await sourceError(openXlsxSource(fx('contacts.xlsx'), { sheet: 'Leads' }));
    expect(msg).toContain('has no sheet named "Leads"');
    expect(msg).toContain('"Contacts", "Notes"');
  });

  it('stops reading on close(), even with rows already parsed', async () => {
    const src = await openXlsxSource(fx('contacts.xlsx'));
    const it = src.records[Symbol.asyncIterator]();
    expect((await it.next()).value?.row).toBe(2);
    src.close();
    expect((await it.next()).done).toBe(true);
  });
});

describe('files that are not .xlsx workbooks', () => {
  it('a CSV file with an .xlsx name', async () => {
    expect(await sourceError(openXlsxSource(fx('not-really.xlsx')))).toMatch(/not-really\.xlsx is not an \.xlsx workbook: it is a text file \(CSV\?\); if it is CSV, give it a \.csv name/);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name\temail\r\n', 'utf16le')]);
    expect(await sourceError(openXlsxSource(file(utf16)))).toMatch(/it is a text file \(CSV\?\)/);
  });

  it('an old .xls (or password-protected) workbook', async () => {
    const ole = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(504)]);
    expect(await sourceError(openXlsxSource(file(ole, 'xls')))).toMatch(/is not an \.xlsx workbook: it is an old-style Excel \.xls file or a password-protected workbook; .*save it without a password as \.xlsx .* or as CSV/);
  });

  it('an empty file, a damaged zip, a zip that is no workbook', async () => {
    expect(await sourceError(openXlsxSource(file('')))).toMatch(/is empty: it is not an \.xlsx workbook; save it as \.xlsx/);
    const whole = readFileSync(fx('contacts.xlsx'));
    expect(await sourceError(openXlsxSource(file(whole.subarray(0, whole.length >> 1))))).toMatch(/is not a readable \.xlsx workbook: the zip archive is damaged or incomplete/);
    expect(await sourceError(openXlsxSource(file(await zipOf({ 'readme.txt': 'hello' }))))).toMatch(/is a zip archive, not an \.xlsx workbook/);
    const xlsb = await zipOf({
      '_rels/.rels':
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>',
      'xl/workbook.bin': Buffer.from([1, 2, 3]),
    });
    expect(await sourceError(openXlsxSource(file(xlsb)))).toMatch(/is an Excel binary workbook \(\.xlsb\)/);
    expect(await sourceError(openXlsxSource(file(await zipOf({ mimetype: 'application/vnd.oasis.opendocument.spreadsheet', 'content.xml': '<x/>' }))))).toMatch(/OpenDocument spreadsheet/);
  });

  it('a sheet whose XML is cut off midway keeps the rows before it, then stops with a SourceError', async () => {
    const p = await sheet('<row r="1"><c t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c t="inlineStr"><is><t>Ada</t></is></c></row><row r="3"><c t="inlineStr"><is><t>Bo');
    const src = await openXlsxSource(p);
    const seen: number[] = [];
    const err = await (async () => {
      for await (const r of src.records) seen.push(r.row);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([2]);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/sheet "S" cannot be read after row 2: the workbook is damaged/);
  });
});

describe('cell values', () => {
  it('numbers: whole, shortest, no exponent, at most 15 significant digits like Excel', async () => {
    expect(
      await values('<c r="A2"><v>4915112345678</v></c><c r="B2"><v>0.30000000000000004</v></c><c r="C2"><v>1.5</v></c>'),
    ).toEqual(['4915112345678', '0.3', '1.5']);
    expect(await values('<c r="A2"><v>1E+21</v></c><c r="B2"><v>1E-7</v></c><c r="C2"><v>-42</v></c>')).toEqual(['1000000000000000000000', '0.0000001', '-42']);
    // Excel itself keeps only 15 digits of a long number typed into a cell.
    expect(await values('<c r="A2"><v>123456789012345678</v></c>')).toEqual(['123456789012346000', '', '']);
  });

  it('number formats that change the digits are applied; decoration is not', async () => {
    const numFmts = [
      { id: 164, code: '00000' },
      { id: 165, code: '000-00-0000' },
      { id: 166, code: '[<=9999999]###-####;(###) ###-####' },
      { id: 167, code: '#,##0.00 [$€-407]' },
      { id: 168, code: '"+"0' },
    ];
    const cellXfs = [0, 164, 165, 166, 167, 168, 9, 49, 11];
    const v = (s: number, raw: string): string => `<c s="${s}"><v>${raw}</v></c>`;
    expect(await values(v(1, '42') + v(2, '123456789') + v(3, '5551234567'), { numFmts, cellXfs })).toEqual(['00042', '123-45-6789', '(555) 123-4567']);
    expect(await values(v(3, '5551234') + v(4, '1234.5') + v(5, '4930123456'), { numFmts, cellXfs })).toEqual(['555-1234', '1234.5', '+4930123456']);
    // 0% and 0.00E+00 are display only; @ (text) on a number shows the number.
    expect(await values(v(6, '0.15') + v(7, '4915112345678') + v(8, '4915112345678'), { numFmts, cellXfs })).toEqual(['0.15', '4915112345678', '4915112345678']);
  });

  it('dates and times become ISO text, in both date systems', async () => {
    const numFmts = [{ id: 164, code: 'yyyy-mm-dd hh:mm' }, { id: 165, code: 'dd/mm/yyyy' }];
    const cellXfs = [0, 14, 164, 165, 20];
    expect(await values('<c s="1"><v>45352</v></c><c s="2"><v>45353.604166666664</v></c><c s="3"><v>45352.75</v></c>', { numFmts, cellXfs })).toEqual([
      '2024-03-01',
      '2024-03-02T14:30:00',
      // A date format without a time shows only the date, as Excel does.
      '2024-03-01',
    ]);
    expect(await values('<c s="4"><v>0.5</v></c><c t="d"><v>2024-03-01T09:15:00Z</v></c><c t="d" s="1"><v>2024-03-01T09:15:00</v></c>', { numFmts, cellXfs })).toEqual([
      '12:00:00',
      '2024-03-01T09:15:00',
      '2024-03-01',
    ]);
    expect(await values('<c s="1"><v>0</v></c>', { cellXfs, date1904: true })).toEqual(['1904-01-01', '', '']);
  });

  it('booleans, errors, formula results, inline and shared rich text, escaped characters', async () => {
    expect(await values('<c t="b"><v>1</v></c><c t="b"><f>1=2</f><v>0</v></c><c t="e"><f>VLOOKUP(A1,X:Y,2,0)</f><v>#N/A</v></c>')).toEqual(['TRUE', 'FALSE', '#N/A']);
    expect(await values('<c t="str"><f>A1&amp;"x"</f><v>ax</v></c><c><f>1+1</f><v>2</v></c><c t="inlineStr"><is><r><t>Jo</t></r><r><t xml:space="preserve">sé </t></r></is></c>')).toEqual([
      'ax',
      '2',
      'José ',
    ]);
    // Excel stores the reading of Japanese names (furigana) with the text: not part of it.
    const sharedStrings = ['<si><t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><phoneticPr fontId="1"/></si>', 'line 1_x000D_\nline 2', 'a_x005F_x0041_b'];
    expect(await values('<c t="s"><v>0</v></c><c t="s"><v>1</v></c><c t="s"><v>2</v></c>', { sharedStrings })).toEqual(['山田', 'line 1\r\nline 2', 'a_x0041_b']);
  });

  it('cells and rows without positions, and namespace prefixes, are read in order', async () => {
    expect(await values('<c t="inlineStr"><is><t>x</t></is></c><c/><c><v>3</v></c>')).toEqual(['x', '', '3']);
    const prefixed =
      '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>' +
      '<x:row><x:c t="inlineStr"><x:is><x:t>name</x:t></x:is></x:c></x:row><x:row><x:c t="inlineStr"><x:is><x:t>Ada</x:t></x:is></x:c></x:row>' +
      '</x:sheetData></x:worksheet>';
    const { header, recs } = await read(file(await rawWorkbook({ sheets: [{ name: 'S', xml: prefixed }] })));
    expect(header).toEqual(['name']);
    expect(recs.map((r) => [r.row, ...r.values])).toEqual([[2, 'Ada']]);
  });
});

describe('rows', () => {
  const h = '<row r="3"><c r="B3" t="inlineStr"><is><t>name</t></is></c><c r="C3" t="inlineStr"><is><t>email</t></is></c></row>';

  it('takes the first non-empty row as the header, and numbers rows as the sheet does', async () => {
    const { header, recs } = await read(await sheet('<row r="1" s="1" customFormat="1"/><row r="2"><c r="A2" s="0"/></row>' + h + '<row r="5"><c r="B5" t="inlineStr"><is><t>Ada</t></is></c></row>'));
    // Column A has no name but is kept, so the header lines up with the sheet's columns.
    expect(header).toEqual(['', 'name', 'email']);
    expect(recs).toEqual([{ kind: 'record', row: 5, line: 5, values: ['', 'Ada', ''] }]);
  });

  it('makes a row with values right of the header malformed, naming the sheet row and keeping the header’s columns', async () => {
    const { recs } = await read(
      await sheet(h + '<row r="4"><c r="B4" t="inlineStr"><is><t>Ada</t></is></c><c r="E4" t="inlineStr"><is><t>oops</t></is></c><c r="F4"><v>7</v></c><c r="G4" s="0"/></row><row r="5"><c r="B5"><v>1</v></c></row>'),
    );
    expect(recs[0]).toEqual({
      kind: 'malformed',
      row: 4,
      line: 4,
      values: ['', 'Ada', ''],
      message: expect.stringMatching(/^sheet "S" row 4: row has values right of the header's 3 columns; extra values "oops" \(E\), "7" \(F\) were cut off/),
    });
    expect(recs[1]).toEqual({ kind: 'record', row: 5, line: 5, values: ['', '1', ''] });
  });

  it('makes a row with a cell over maxFieldBytes malformed, keeping a preview', async () => {
    const long = 'x'.repeat(500);
    const { recs } = await read(await sheet(h + `<row r="4"><c r="B4" t="inlineStr"><is><t>${long}</t></is></c><c r="C4" t="s"><v>0</v></c></row>`, { sharedStrings: ['é'.repeat(200)] }), {
      maxFieldBytes: 300,
    });
    const rec = recs[0]!;
    expect(rec.kind).toBe('malformed');
    expect(rec.kind === 'malformed' && rec.message).toMatch(
      /^sheet "S" row 4, column "name" \(B\): value is 500 bytes long, more than --max-field-size 300; .*; column "email" \(C\): value is 400 bytes long/,
    );
    expect(rec.values).toEqual(['', 'x'.repeat(100) + '…', 'é'.repeat(100) + '…']);
  });

  it('makes a row malformed for a formula without a saved result or a missing shared text', async () => {
    const { recs } = await read(await sheet(h + '<row r="4"><c r="B4"><f>1+1</f></c></row><row r="5"><c r="B5" t="s"><v>9</v></c></row>', { sharedStrings: ['name'] }));
    expect(recs.map((r) => r.kind === 'malformed' && r.message)).toEqual([
      expect.stringMatching(/^sheet "S" row 4, column "name" \(B\): a formula with no saved result .*open it in Excel and save it again/),
      expect.stringMatching(/^sheet "S" row 5, column "name" \(B\): refers to shared text #9, which the workbook does not have/),
    ]);
  });

  it('refuses an empty sheet, a header wider than maxColumns, and rows out of order', async () => {
    expect(await sourceError(openXlsxSource(await sheet('<row r="1"><c r="A1" s="0"/></row>')))).toMatch(/sheet "S" is empty: its first non-empty row must name the columns/);
    expect(await sourceError(openXlsxSource(await sheet('<row r="1"><c r="A1"><v>1</v></c><c r="K1"><v>2</v></c></row>'), { maxColumns: 10 }))).toMatch(
      /row 1: the header has 11 columns, more than the 10 accepted/,
    );
    const src = await openXlsxSource(await sheet(h + '<row r="5"><c r="B5"><v>1</v></c></row><row r="4"><c r="B4"><v>2</v></c></row>'));
    const err = await (async () => {
      for await (const r of src.records) void r;
    })().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/sheet "S" row 4 comes after row 5: the workbook is damaged/);
  });
});

describe('sheets', () => {
  const named = (t: string): string => `<row r="1"><c t="inlineStr"><is><t>${t}</t></is></c></row>`;

  it('defaults to the first visible tab, in tab order, not file order', async () => {
    const wb = await rawWorkbook({
      sheets: [{ name: 'Lookup', rows: named('lookup'), state: 'hidden' }, { name: 'Second', rows: named('second') }, { name: 'First', rows: named('first') }],
      tabOrder: [0, 2, 1],
    });
    expect((await read(file(wb))).header).toEqual(['first']);
    expect((await read(file(wb), { sheet: 'LOOKUP' })).header).toEqual(['lookup']);
    expect(await sourceError(openXlsxSource(file(wb), { sheet: 'x' }))).toContain('its sheets are "Lookup" (hidden), "First", "Second"');
  });

  it('bounds the shared text table', async () => {
    expect(await sourceError(openXlsxSource(await sheet(named('a'), { sharedStrings: ['x'.repeat(1000)] }), { maxSharedStringsBytes: 500 }))).toMatch(
      /text takes more than .* MiB of memory to read; save the sheet as CSV/,
    );
  });

  it('streams a larger sheet written by exceljs, every row once, progress ending at the file size', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Big');
    ws.addRow(['id', 'email']);
    for (let i = 1; i <= 5000; i++) ws.addRow([i, `user${i}@example.com`]);
    const p = file(Buffer.from(await wb.xlsx.writeBuffer()));
    const src = await openXlsxSource(p);
    let count = 0;
    let last = 0;
    let progress = 0;
    for await (const r of src.records) {
      expect(r.row).toBe(count + 2);
      expect(r.values).toEqual([String(count + 1), `user${count + 1}@example.com`]);
      count++;
      const b = src.bytesRead();
      expect(b).toBeGreaterThanOrEqual(progress);
      progress = b;
      last = r.row;
    }
    expect([count, last]).toEqual([5000, 5001]);
    expect(src.bytesRead()).toBe(readFileSync(p).length);
  });
});

describe('xlsx-format', () => {
  it('plainNumber never uses an exponent', () => {
    expect([1e21, 1.5e-7, -2.5e22, 123, 0.1, -0].map(plainNumber)).toEqual(['1000000000000000000000', '0.00000015', '-25000000000000000000000', '123', '0.1', '0']);
  });

  it('classifies formats', () => {
    expect(classifyFormat('General')).toEqual({ kind: 'general' });
    expect(classifyFormat('#,##0.00')).toEqual({ kind: 'general' });
    expect(classifyFormat('0')).toEqual({ kind: 'general' });
    expect(classifyFormat('[Red]"Due: "dd.mm.yyyy')).toEqual({ kind: 'date', time: false });
    expect(classifyFormat('h:mm AM/PM')).toEqual({ kind: 'time', elapsed: false });
    expect(classifyFormat('[h]:mm:ss')).toEqual({ kind: 'time', elapsed: true });
    expect(classifyFormat('mmm yyyy hh:mm').kind).toBe('date');
    expect(formatNumber(1.25, classifyFormat('[h]:mm:ss'), false)).toBe('30:00:00');
    expect(formatNumber(-42, classifyFormat('00000'), false)).toBe('-00042');
    expect(formatNumber(-42, classifyFormat('00000;(00000)'), false)).toBe('(00042)');
  });

  it('converts serials around the 1900 leap-year bug', () => {
    expect([1, 59, 61].map((s) => serialToIso(s, false, false))).toEqual(['1900-01-01', '1900-02-28', '1900-03-01']);
    expect(serialToIso(45352.99999999, false, true)).toBe('2024-03-02T00:00:00');
    expect(columnLetters(28)).toBe('AB');
  });
});
