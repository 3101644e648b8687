// The failures file opens where its input came from (issue 15, item 6): the input's delimiter,
// UTF-8 with a BOM when the input was not plain UTF-8, a malformed row's text kept, the formula
// guard undone when it is fed back, and a fed-back file's rows known by their original numbers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { neutralizeCell, restoreCell } from '../src/security/formula.js';
import { CsvLineFile, csvLine } from '../src/sinks/csv-file.js';
import { FailureFormat, failureStyleFor, isFailuresFile, rowNumbering } from '../src/sinks/failures.js';
import { resultLine } from '../src/sinks/results.js';
import { describeEncodingReason } from '../src/source/encoding.js';
import { openCsvSource } from '../src/source/csv-source.js';
import type { SourceRecord } from '../src/types.js';

const BOM = '\uFEFF';
const dir = mkdtempSync(join(tmpdir(), 'failures-format-'));

const csv = (encoding: 'utf-8' | 'windows-1252' | 'latin1' | 'utf-16le', reason: Parameters<typeof describeEncodingReason>[0]['reason'], delimiter = ',') =>
  ({ kind: 'csv', encoding, encodingReason: describeEncodingReason({ reason }), delimiter }) as const;

async function readBack(path: string): Promise<{ header: string[]; delimiter: string; encoding: string; records: SourceRecord[] }> {
  const source = await openCsvSource(path);
  const records: SourceRecord[] = [];
  for await (const r of source.records) records.push(r);
  source.close();
  return { header: source.header, delimiter: source.format.delimiter, encoding: source.format.encoding, records };
}

describe('csvLine with another delimiter', () => {
  const PIECES = ['', 'a', ' ', ',', ';', '\t', '|', '"', '\n', '\r\n', "'", '=1+1', 'é', '😀'];
  for (const delimiter of [';', '\t', '|']) {
    it(`writes what csv-stringify writes with delimiter ${JSON.stringify(delimiter)}, and reads back as the same cells`, () => {
      let seed = 11;
      const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let n = 0; n < 2000; n++) {
        const cells = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
          let s = '';
          for (let k = Math.floor(random() * 4); k > 0; k--) s += PIECES[Math.floor(random() * PIECES.length)];
          return s;
        });
        const line = csvLine(cells, delimiter);
        expect(line).toBe(stringify([cells], { delimiter }));
        if (cells.length > 1 || cells[0] !== '') expect(parse(line, { delimiter, relax_column_count: true })).toEqual([cells]);
      }
    });
  }

  it('quotes a cell holding the delimiter, and only then (a comma needs no quotes in a ; file)', () => {
    expect(csvLine(['a;b', 'c,d', 'e'], ';')).toBe('"a;b";c,d;e\n');
    expect(csvLine(['a\tb', 'c;d'], '\t')).toBe('"a\tb"\tc;d\n');
    expect(csvLine(['a,b'])).toBe('"a,b"\n');
  });
});

describe('failureStyleFor: the delimiter, and a BOM unless the input was plain UTF-8', () => {
  it('follows the input', () => {
    expect(failureStyleFor(csv('utf-8', 'valid utf-8'))).toEqual({ delimiter: ',', bom: false });
    expect(failureStyleFor(csv('utf-8', 'utf-8 with errors', ';'))).toEqual({ delimiter: ';', bom: false });
    expect(failureStyleFor(csv('utf-8', 'forced', '\t'))).toEqual({ delimiter: '\t', bom: false });
    expect(failureStyleFor(csv('utf-8', 'bom', ';'))).toEqual({ delimiter: ';', bom: true });
    expect(failureStyleFor(csv('windows-1252', 'not utf-8', ';'))).toEqual({ delimiter: ';', bom: true });
    expect(failureStyleFor(csv('latin1', 'forced', '|'))).toEqual({ delimiter: '|', bom: true });
    expect(failureStyleFor(csv('utf-16le', 'bom', '\t'))).toEqual({ delimiter: '\t', bom: true });
    expect(failureStyleFor({ kind: 'xlsx', sheet: 'Contacts' })).toEqual({ delimiter: ',', bom: true });
  });
});

describe('FailureFormat', () => {
  const header = ['Nom', 'Courriel', 'Téléphone'];
  const semicolonBom = { delimiter: ';', bom: true };

  it('writes the header with one BOM and the input delimiter; lines never carry a BOM', () => {
    const f = new FailureFormat(header, neutralizeCell, semicolonBom);
    expect(f.headerLine).toBe(`${BOM}Nom;Courriel;Téléphone;_row;_error;_message\n`);
    const line = f.line({ row: 2, values: ['José; García', 'x', ''], code: 'invalid_email', message: 'email "x" is not valid' });
    expect(line).toBe('"José; García";x;;2;invalid_email;"email ""x"" is not valid"\n');
    expect(new FailureFormat(header).headerLine).toBe('Nom,Courriel,Téléphone,_row,_error,_message\n');
  });

  it('keeps a malformed row: its cells as recovered, and its text as read at the end of _message', () => {
    const f = new FailureFormat(header, neutralizeCell, semicolonBom);
    const raw = 'Zoë;zoe@example.fr;+33612345679;extra\r\n';
    const line = f.line({ row: 3, values: ['Zoë', 'zoe@example.fr', '+33612345679'], code: 'malformed_row', message: 'line 4: row has 4 fields but the header has 3', raw });
    const [cells] = parse(line, { delimiter: ';' }) as string[][];
    expect(cells!.slice(0, 5)).toEqual(['Zoë', 'zoe@example.fr', '+33612345679', '3', 'malformed_row']);
    expect(cells![5]).toBe('line 4: row has 4 fields but the header has 3. The row as read: Zoë;zoe@example.fr;+33612345679;extra');
    // A quote never closed: nothing recovered, the text (line breaks included) is all in _message.
    const open = f.line({ row: 5, values: [], code: 'malformed_row', message: 'line 6: quote not closed', raw: 'Ana;"ana@x.fr\nBea;bea@x.fr' });
    const [cells2] = parse(open, { delimiter: ';' }) as string[][];
    expect(cells2).toEqual(['', '', '', '5', 'malformed_row', 'line 6: quote not closed. The row as read: Ana;"ana@x.fr\nBea;bea@x.fr']);
    // Without raw text (a workbook's row, an older source), the message as it was.
    expect(f.line({ row: 1, values: ['a', 'b', 'c'], code: 'malformed_row', message: 'm' })).toBe('a;b;c;1;malformed_row;m\n');
  });

  it('a fed-back row that still fails carries the text its earlier _message kept', () => {
    const fedBack = ['Nom', 'Courriel', 'Téléphone', '_row', '_error', '_message'];
    const f = new FailureFormat(fedBack, neutralizeCell, semicolonBom);
    const old = "line 6: quote not closed. The row as read: Ana;\"ana@x.fr;'=x";
    // Fed back unfixed: its cells are still empty, so it fails again, and keeps the text.
    const line = f.line({ row: 1, values: ['', '', '', '5', 'malformed_row', old], code: 'no_contact_data', message: 'no data' });
    const [cells] = parse(line, { delimiter: ';' }) as string[][];
    expect(cells).toEqual(['', '', '', '5', 'no_contact_data', `no data. The row as read: Ana;"ana@x.fr;'=x`]);
    // A row whose old message kept nothing gets the new message alone.
    expect(f.line({ row: 2, values: ['A', 'b', '', '9', 'invalid_email', 'email "b" is not valid'], code: 'invalid_email', message: 'm' })).toBe('A;b;;9;invalid_email;m\n');
  });

  it('a raw text that looks like formulas after its ; is guarded in _message', () => {
    const f = new FailureFormat(header, neutralizeCell, semicolonBom);
    const line = f.line({ row: 1, values: [], code: 'malformed_row', message: 'bad', raw: 'x;=HYPERLINK("http://evil")' });
    const [cells] = parse(line, { delimiter: ';' }) as string[][];
    expect(cells![5]).toBe(`bad. The row as read: x;'=HYPERLINK("http://evil")`);
  });

  it('continuing(): a resumed file keeps the delimiter and BOM its header was written with', () => {
    const f = new FailureFormat(header, neutralizeCell, semicolonBom);
    expect(f.continuing(f.headerLine)).toBe(f);
    const legacy = f.continuing('Nom,Courriel,Téléphone,_row,_error,_message\n');
    expect(legacy.style).toEqual({ delimiter: ',', bom: false });
    expect(legacy.line({ row: 1, values: ['a', 'b', 'c'], code: 'invalid_email', message: 'm' })).toBe('a,b,c,1,invalid_email,m\n');
    expect(f.continuing('something else\n')).toBe(f);
  });
});

describe('original row numbers of a fed-back failures file', () => {
  const fedBack = ['Nom', 'Courriel', '_row', '_error', '_message'];

  it('takes the _row cell when it holds a row number, the position otherwise', () => {
    const shown = rowNumbering(fedBack);
    expect(shown(1, ['a', 'b', '17', 'invalid_email', 'm'])).toBe(17);
    expect(shown(2, ['a', 'b', ' 4 ', 'x', ''])).toBe(4);
    expect(shown(3, ['a', 'b', '', '', ''])).toBe(3);
    expect(shown(4, ['a', 'b', 'x7', '', ''])).toBe(4);
    expect(shown(5, ['a', 'b', '0', '', ''])).toBe(5);
    expect(shown(6, [])).toBe(6);
    expect(shown(7, ['a', 'b', '99999999999', '', ''])).toBe(7);
    // Not a failures file: a column of the user's own called _row means nothing.
    expect(rowNumbering(['name', '_row'])(3, ['a', '9'])).toBe(3);
    expect(isFailuresFile(fedBack)).toBe(true);
    expect(isFailuresFile(['name', '_row'])).toBe(false);
  });

  it('the failures line and the results line show the original number', () => {
    const f = new FailureFormat(fedBack, neutralizeCell, { delimiter: ';', bom: true });
    expect(f.headerLine).toBe(`${BOM}Nom;Courriel;_row;_error;_message\n`);
    expect(f.line({ row: 1, values: ['Ana', 'nope', '12', 'invalid_email', 'old'], code: 'invalid_email', message: 'new' })).toBe('Ana;nope;12;invalid_email;new\n');
    const values = ['Ana', 'ana@example.com', '12', 'invalid_email', 'old'];
    const r = { row: 1, kind: 'created' as const, contactId: '5', contact: { name: 'Ana', email: 'ana@example.com' } };
    expect(resultLine(r, (c) => c, undefined, f.shownRow(1, values))).toBe('12,created,5,Ana,ana@example.com,,,\n');
  });
});

describe('a failures file read back by the importer', () => {
  it('decodes the BOM away, finds the ; delimiter and the header, and the formula guard round-trips', async () => {
    const header = ['Nom', 'Courriel', 'Téléphone', 'Notes'];
    const f = new FailureFormat(header, neutralizeCell, { delimiter: ';', bom: true });
    const tricky = [
      ['=SUM(A1)', '-renee@example.fr', '+33 6 12 34 56 78', 'a;=b'],
      ['@cmd', "'=already", '-12.5', 'x\t+y;z'],
      ['Zoë "la" Müller', 'zoe@example.fr', '', 'ligne 1\nligne 2'],
    ];
    const path = join(dir, 'roundtrip.failures.csv');
    const file = CsvLineFile.create(path, f.headerLine);
    tricky.forEach((values, i) => file.write(f.line({ row: i + 10, values, code: 'invalid_email', message: `; =bad ${i}` })));
    file.close();

    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.indexOf(Buffer.from(BOM), 3)).toBe(-1);
    expect(bytes.toString('utf8')).toContain('Zoë ""la"" Müller');

    const back = await readBack(path);
    expect(back.encoding).toBe('utf-8');
    expect(back.delimiter).toBe(';');
    expect(back.header).toEqual([...header, '_row', '_error', '_message']);
    expect(back.records.map((r) => r.kind)).toEqual(['record', 'record', 'record']);
    back.records.forEach((r, i) => {
      // What stage.ts does to a fed-back file's cells before mapping them.
      const restored = r.values.slice(0, 4).map(restoreCell);
      // `'=already` was written as is (the guard is idempotent) and reads back as `=already`: the documented price.
      const expected = tricky[i]!.map((c) => (c === "'=already" ? '=already' : c));
      expect(restored).toEqual(expected);
      expect(r.values[4]).toBe(String(i + 10));
    });
  });

  it('a Windows-1252 ; input → a UTF-8 failures file with a BOM that reads back with the same header', async () => {
    const input = join(dir, 'win.csv');
    writeFileSync(input, Buffer.from('Nom;Courriel\r\nRen\xe9e;pas-valide\r\n', 'latin1'));
    const source = await openCsvSource(input);
    source.close();
    expect(source.format).toMatchObject({ encoding: 'windows-1252', delimiter: ';' });
    const f = new FailureFormat(source.header, neutralizeCell, failureStyleFor(source.format));
    const out = join(dir, 'win.failures.csv');
    const file = CsvLineFile.create(out, f.headerLine);
    file.write(f.line({ row: 1, values: ['Renée', 'pas-valide'], code: 'invalid_email', message: 'm' }));
    file.close();
    expect(readFileSync(out)).toEqual(Buffer.from(`${BOM}Nom;Courriel;_row;_error;_message\nRenée;pas-valide;1;invalid_email;m\n`, 'utf8'));
    const back = await readBack(out);
    expect(back.header).toEqual(['Nom', 'Courriel', '_row', '_error', '_message']);
    expect(back.records[0]).toMatchObject({ kind: 'record', values: ['Renée', 'pas-valide', '1', 'invalid_email', 'm'] });
  });
});
