// Issue 14, finding 9: an .xlsx cell is held to --max-field-size while the XML is parsed, so a
// huge cell costs a bounded amount of memory and fails its row (a 2 GB inline string in a 1.9 MB
// workbook reached 646 MB before). Each workbook here is small on disk (a 50 MB run of one letter
// deflates to about 50 KB) and huge inside.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { rawWorkbook } from '../fixtures/xlsx/make-xlsx.mjs';
import { SourceError } from '../src/source/errors.js';
import { openXlsxSource, type XlsxSourceOptions } from '../src/source/xlsx-source.js';
import type { SourceRecord } from '../src/types.js';

const dir = mkdtempSync(join(tmpdir(), 'ldi-source-xlsx-huge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const MB50 = 50 * 1024 * 1024;
const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';

/** A zip of the entries, deflated by zlib (JSZip's deflate takes seconds for 50 MB). */
function zip(files: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBuf = Buffer.from(name);
    const comp = deflateRawSync(data, { level: 1 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    parts.push(local, nameBuf, comp);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt16LE(0x21, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(comp.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBuf.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBuf);
    offset += 30 + nameBuf.length + comp.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dirBytes, end]);
}

/** A one-sheet workbook whose sheet (and shared text) are given as byte pieces, joined. */
async function workbook(rows: Array<string | Buffer>, sharedStrings?: Array<string | Buffer>): Promise<string> {
  const base = await JSZip.loadAsync(await rawWorkbook({ sheets: [{ name: 'S', rows: '' }], ...(sharedStrings ? { sharedStrings: ['-'] } : {}) }));
  const files: Array<[string, Buffer]> = [];
  for (const name of Object.keys(base.files)) if (!base.files[name]!.dir) files.push([name, await base.files[name]!.async('nodebuffer')]);
  const bytes = (pieces: Array<string | Buffer>): Buffer => Buffer.concat(pieces.map((x) => (typeof x === 'string' ? Buffer.from(x) : x)));
  const replace = (name: string, data: Buffer): void => {
    files.find((f) => f[0] === name)![1] = data;
  };
  replace('xl/worksheets/sheet1.xml', bytes([`<?xml version="1.0" encoding="UTF-8"?>\n<worksheet ${NS}><sheetData>`, ...rows, '</sheetData></worksheet>']));
  if (sharedStrings) replace('xl/sharedStrings.xml', bytes([`<?xml version="1.0" encoding="UTF-8"?>\n<sst ${NS}>`, ...sharedStrings, '</sst>']));
  const p = join(dir, `w${n++}.xlsx`);
  writeFileSync(p, zip(files));
  return p;
}

async function read(path: string, opts: XlsxSourceOptions = {}): Promise<SourceRecord[]> {
  const src = await openXlsxSource(path, opts);
  const recs: SourceRecord[] = [];
  for await (const r of src.records) recs.push(r);
  return recs;
}

const inline = (ref: string, text: string | Buffer): Array<string | Buffer> => [`<c r="${ref}" t="inlineStr"><is><t>`, text, '</t></is></c>'];
const HEADER = ['<row r="1">', ...inline('A1', 'name'), ...inline('B1', 'email'), '</row>'];
const row = (r: number, name: string | Buffer, email: string): Array<string | Buffer> => [`<row r="${r}">`, ...inline(`A${r}`, name), ...inline(`B${r}`, email), '</row>'];
const big = (ch: string): Buffer => Buffer.alloc(MB50, ch);

describe('a huge .xlsx cell fails its row, in bounded memory', () => {
  it('a 50 MB inline string: its row is malformed with the value\'s size, the rows around it are read', async () => {
    const p = await workbook([...HEADER, ...row(2, 'Ada', 'ada@example.com'), ...row(3, big('x'), 'big@example.com'), ...row(4, 'Bob', 'bob@example.com')]);
    const recs = await read(p);
    expect(recs.map((r) => [r.kind, r.row])).toEqual([
      ['record', 2],
      ['malformed', 3],
      ['record', 4],
    ]);
    const bad = recs[1]!;
    expect(bad.kind === 'malformed' && bad.message).toMatch(/^sheet "S" row 3, column "name" \(A\): value is 52,428,800 bytes long, more than --max-field-size 65536/);
    // What is kept of it is its start, not 50 MB.
    expect(bad.values[0]!.length).toBeLessThan(200);
    expect(bad.values[1]).toBe('big@example.com');
  });

  it('the limit follows --max-field-size, and entities are not split where the text is cut', async () => {
    const text = 'a&amp;'.repeat(300_000);
    const p = await workbook([...HEADER, ...row(2, text, 'x@example.com'), ...row(3, 'Ok', 'ok@example.com')]);
    const recs = await read(p, { maxFieldBytes: 1000 });
    expect(recs.map((r) => r.kind)).toEqual(['malformed', 'record']);
    expect(recs[0]!.kind === 'malformed' && recs[0]!.message).toMatch(/column "name" \(A\): value is [\d,]+ bytes long, more than --max-field-size 1000/);
    expect(recs[0]!.values[0]!.startsWith('a&a&a&')).toBe(true);
  });

  it('a 50 MB shared string: the rows that use it are malformed, the others are read', async () => {
    const rows = [...HEADER, '<row r="2"><c r="A2" t="s"><v>0</v></c>', ...inline('B2', 'big@example.com'), '</row><row r="3"><c r="A3" t="s"><v>1</v></c>', ...inline('B3', 'cy@example.com'), '</row>'];
    const p = await workbook(rows, ['<si><t>', big('y'), '</t></si><si><t>Cy</t></si>']);
    const recs = await read(p);
    expect(recs.map((r) => [r.kind, r.row])).toEqual([
      ['malformed', 2],
      ['record', 3],
    ]);
    expect(recs[0]!.kind === 'malformed' && recs[0]!.message).toMatch(/column "name" \(A\): value is 52,428,800 bytes long/);
    expect(recs[1]!.values).toEqual(['Cy', 'cy@example.com']);
  });

  it('a 50 MB attribute (no spreadsheet writes one) stops with a clear SourceError', async () => {
    const p = await workbook([...HEADER, '<row r="2" junk="', big('z'), '">', ...inline('A2', 'Ada'), '</row>']);
    const err = await read(p).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/sheet "S" cannot be read: the workbook is damaged or incomplete \(it holds an XML tag longer than [\d,]+ characters, which no spreadsheet program writes\)/);
  });

  it('a huge row: many cells right of the header are counted, not kept', async () => {
    const cells = Array.from({ length: 20_000 }, (_, i) => `<c t="inlineStr"><is><t>v${i}</t></is></c>`).join('');
    const p = await workbook([...HEADER, '<row r="2">', ...inline('A2', 'Ada'), ...inline('B2', 'ada@example.com'), cells, '</row>', ...row(3, 'Bob', 'bob@example.com')]);
    const recs = await read(p);
    expect(recs.map((r) => r.kind)).toEqual(['malformed', 'record']);
    expect(recs[0]!.values).toEqual(['Ada', 'ada@example.com']);
    expect(recs[0]!.kind === 'malformed' && recs[0]!.message.length).toBeLessThan(1000);
  });
});
