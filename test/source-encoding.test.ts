import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtures } from '../fixtures/make-fixtures.mjs';
import { detectEncoding, normalizeEncodingName } from '../src/source/encoding.js';
import { openCsvSource } from '../src/source/csv-source.js';
import { EncodingError, SourceError } from '../src/source/errors.js';
import { readAll, scratchFiles } from './helpers/source.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const fx = (name: string): string => join(FIXTURES, name);

const { file } = scratchFiles('ldi-encoding-');
const read = readAll;

const CONTACTS = [
  ['José Müller', 'jose@example.com', 'Málaga'],
  ['Señor Ñandú', 'senor@example.com', 'Zürich'],
  ['Renée O’Brien', 'renee@example.com', 'Cost: 5 €'],
];

const utf16be = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf16le');
  return b.swap16();
};

describe('fixtures', () => {
  it('are byte for byte what fixtures/make-fixtures.mjs writes', () => {
    for (const [rel, bytes] of Object.entries(fixtures())) {
      expect(readFileSync(fx(rel)).equals(bytes), `${rel} differs: run node fixtures/make-fixtures.mjs`).toBe(true);
    }
  });
});

describe('encoding detection', () => {
  it.each([
    ['encodings/utf8.csv', 'utf-8', /valid UTF-8/, ','],
    ['encodings/utf8-bom.csv', 'utf-8', /byte-order mark/, ','],
    ['encodings/utf16le-bom.csv', 'utf-16le', /byte-order mark/, '\t'],
    ['encodings/utf16be-bom.csv', 'utf-16be', /byte-order mark/, ','],
    ['encodings/utf16le-nobom.csv', 'utf-16le', /UTF-16 without a byte-order mark/, ','],
    ['encodings/windows-1252.csv', 'windows-1252', /not valid UTF-8/, ','],
  ])('%s is read as %s, every letter intact', async (name, encoding, reason, delimiter) => {
    const r = await read(fx(name));
    expect(r.encoding).toBe(encoding);
    expect(r.reason).toMatch(reason);
    expect(r.delimiter).toBe(delimiter);
    expect(r.header).toEqual(['name', 'email', 'city']);
    expect(r.recs).toEqual(CONTACTS.map((values, i) => ({ kind: 'record', row: i + 1, line: i + 2, values })));
  });

  it('reports the one row with a byte that is not UTF-8, with its line and column, and reads the others', async () => {
    const r = await read(fx('encodings/utf8-invalid-byte.csv'));
    expect(r.encoding).toBe('utf-8');
    expect(r.recs.map((x) => [x.kind, x.row, x.line])).toEqual([
      ['record', 1, 2],
      ['malformed', 2, 3],
      ['record', 3, 4],
    ]);
    const bad = r.recs[1]!;
    expect(bad.values).toEqual(['Señor Ñandú', 'senor@example.com', 'Z\uFFFDrich']);
    expect(bad.kind === 'malformed' && bad.message).toBe(
      'line 3, column "city": bytes that are not valid UTF-8; the file is probably in another encoding: re-save it as UTF-8 or pass --encoding windows-1252',
    );
    expect(r.recs[2]!.values).toEqual(CONTACTS[2]);
  });

  it('reports the bytes Windows-1252 leaves undefined, and reads them as C1 controls when latin1 is forced', async () => {
    const r = await read(fx('encodings/windows-1252-undefined-byte.csv'));
    expect(r.encoding).toBe('windows-1252');
    expect(r.recs.map((x) => x.kind)).toEqual(['record', 'malformed', 'record']);
    const bad = r.recs[1]!;
    expect(bad.kind === 'malformed' && bad.message).toMatch(/^line 3, column "city": bytes that are not valid Windows-1252 \(0x81, 0x8D, 0x8F, 0x90 or 0x9D\).*--encoding latin1/);
    expect(r.recs[2]!.values).toEqual(['Bob', 'bob@example.com', 'Zürich']);

    const l1 = await read(fx('encodings/windows-1252-undefined-byte.csv'), { encoding: 'ISO-8859-1' });
    expect(l1.encoding).toBe('latin1');
    expect(l1.reason).toBe('set by --encoding');
    expect(l1.recs.map((x) => x.kind)).toEqual(['record', 'record', 'record']);
    expect(l1.recs[1]!.values[2]).toBe('X\u0081Y');
  });

  it('obeys --encoding, even when the result is wrong letters, and says so when bytes are invalid', async () => {
    const w = await read(fx('encodings/utf8-invalid-byte.csv'), { encoding: 'cp1252' });
    expect(w.encoding).toBe('windows-1252');
    expect(w.recs.every((x) => x.kind === 'record')).toBe(true);
    expect(w.recs[0]!.values[0]).toBe('JosÃ© MÃ¼ller');
    expect(w.recs[1]!.values[2]).toBe('Zürich');

    const u = await read(fx('encodings/windows-1252.csv'), { encoding: 'UTF8' });
    expect(u.recs.map((x) => x.kind)).toEqual(['malformed', 'malformed', 'malformed']);
    const first = u.recs[0]!;
    expect(first.kind === 'malformed' && first.message).toBe(
      'line 2, column "name": bytes that are not valid UTF-8; the file is probably in another encoding: re-save it as UTF-8 or pass --encoding windows-1252; column "city": bytes that are not valid UTF-8; the file is probably in another encoding: re-save it as UTF-8 or pass --encoding windows-1252',
    );

    const be = await read(fx('encodings/utf16be-bom.csv'), { encoding: 'utf16be' });
    expect(be.recs.map((x) => x.values)).toEqual(CONTACTS);
    const nobom = await read(fx('encodings/utf16le-nobom.csv'), { encoding: 'utf-16le' });
    expect(nobom.recs.map((x) => x.values)).toEqual(CONTACTS);
  });

  it('refuses an --encoding that contradicts the byte-order mark, and UTF-32', async () => {
    await expect(openCsvSource(fx('encodings/utf16le-bom.csv'), { encoding: 'utf-8' })).rejects.toThrow(
      /utf16le-bom\.csv: --encoding utf-8 was given, but the file starts with a UTF-16LE byte-order mark: drop --encoding \(or pass --encoding utf-16le\)/,
    );
    await expect(openCsvSource(fx('encodings/utf8-bom.csv'), { encoding: 'windows-1252' })).rejects.toThrow(EncodingError);
    const utf32 = file(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('a\0\0\0', 'latin1')]));
    await expect(openCsvSource(utf32)).rejects.toThrow(/UTF-32, which is not supported: re-save it as UTF-8/);
  });

  it('refuses an unknown --encoding name, listing the accepted ones', async () => {
    const p = fx('encodings/utf8.csv');
    const err = await openCsvSource(p, { encoding: 'ebcdic' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EncodingError);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toBe('unknown encoding "ebcdic": use utf-8, utf-16le, utf-16be, windows-1252 (also cp1252, win1252) or latin1 (also iso-8859-1)');
  });

  it('normalizes encoding names', () => {
    expect(normalizeEncodingName('UTF-8')).toBe('utf-8');
    expect(normalizeEncodingName(' utf8 ')).toBe('utf-8');
    expect(normalizeEncodingName('UTF_16LE')).toBe('utf-16le');
    expect(normalizeEncodingName('utf-16be')).toBe('utf-16be');
    expect(normalizeEncodingName('cp1252')).toBe('windows-1252');
    expect(normalizeEncodingName('Win1252')).toBe('windows-1252');
    expect(normalizeEncodingName('windows-1252')).toBe('windows-1252');
    expect(normalizeEncodingName('ISO-8859-1')).toBe('latin1');
    expect(normalizeEncodingName('latin-1')).toBe('latin1');
    expect(normalizeEncodingName('utf-16')).toBeUndefined();
    expect(normalizeEncodingName('constructor')).toBeUndefined();
    expect(normalizeEncodingName('')).toBeUndefined();
  });
});

describe('detectEncoding on samples', () => {
  const cafe = Buffer.from('name\nCafé\n', 'utf8');
  it('accepts a UTF-8 character cut by the end of the sample, not by the end of the file', () => {
    const cut = cafe.subarray(0, cafe.length - 2); // ends with C3, the first byte of é
    expect(detectEncoding(cut, false).encoding).toBe('utf-8');
    expect(detectEncoding(Buffer.from('name\nCaf\xe9', 'latin1'), true).encoding).toBe('windows-1252');
  });

  it('calls a file truncated inside its last character UTF-8 when it has other UTF-8 letters', () => {
    const truncated = Buffer.concat([Buffer.from('name\nJosé\nCaf', 'utf8'), Buffer.from([0xc3])]);
    expect(detectEncoding(truncated, true)).toEqual({ encoding: 'utf-8', reason: 'utf-8 with errors', bomBytes: 0 });
  });

  it('recognizes UTF-16 from its NUL bytes, and does not mistake ASCII or binary for it', () => {
    expect(detectEncoding(Buffer.from('name,email\n', 'utf16le'), true).encoding).toBe('utf-16le');
    expect(detectEncoding(utf16be('name,email\n'), true).encoding).toBe('utf-16be');
    expect(detectEncoding(Buffer.from('name,email\n'), true).encoding).toBe('utf-8');
    expect(detectEncoding(Buffer.alloc(100), true).encoding).toBe('utf-8');
    expect(detectEncoding(Buffer.alloc(0), true).encoding).toBe('utf-8');
  });
});

describe('decoding across chunk boundaries and invalid UTF-16', () => {
  it('flags a Windows-1252 row that comes after 64 KiB of ASCII (detection said UTF-8)', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `Person ${i},p${i}@example.com`);
    const text = Buffer.concat([Buffer.from('name,email\n' + rows.join('\n') + '\n'), Buffer.from('Ren\xe9e,renee@example.com\nLast,last@example.com\n', 'latin1')]);
    expect(text.length).toBeGreaterThan(64 * 1024);
    const r = await read(file(text));
    expect(r.encoding).toBe('utf-8');
    expect(r.recs).toHaveLength(3002);
    const bad = r.recs[3000]!;
    expect([bad.kind, bad.row, bad.line]).toEqual(['malformed', 3001, 3002]);
    expect(bad.kind === 'malformed' && bad.message).toMatch(/^line 3002, column "name": bytes that are not valid UTF-8/);
    expect(r.recs[3001]).toEqual({ kind: 'record', row: 3002, line: 3003, values: ['Last', 'last@example.com'] });
  });

  it.each(['utf-16le', 'utf-16be'] as const)('keeps a %s surrogate pair that straddles two 64 KiB reads', async (enc) => {
    const encode = (s: string): Buffer => (enc === 'utf-16le' ? Buffer.from(s, 'utf16le') : utf16be(s));
    const bom = enc === 'utf-16le' ? Buffer.from([0xff, 0xfe]) : Buffer.from([0xfe, 0xff]);
    // BOM (2 bytes) + header + filler so that the emoji's 4 bytes start 2 bytes before 65536.
    const head = 'name,notes\nA,';
    const fillUnits = (65536 - 2 - 2) / 2 - head.length;
    const text = head + 'x'.repeat(fillUnits) + '😀 ok\nB,after\n';
    const bytes = Buffer.concat([bom, encode(text)]);
    expect(bytes.subarray(65534, 65538).equals(encode('😀'))).toBe(true);
    const r = await read(file(bytes));
    expect(r.encoding).toBe(enc);
    expect(r.recs.map((x) => x.kind)).toEqual(['record', 'record']);
    expect(r.recs[0]!.values[1]!.endsWith('x😀 ok')).toBe(true);
  });

  it('reports a lone surrogate and a final odd byte in UTF-16 instead of dropping them', async () => {
    const lone = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name,notes\nA,x', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from('y\nB,ok\n', 'utf16le')]);
    const r = await read(file(lone));
    expect(r.recs.map((x) => x.kind)).toEqual(['malformed', 'record']);
    expect(r.recs[0]!.values[1]).toBe('x\uFFFDy');
    expect(r.recs[0]!.kind === 'malformed' && r.recs[0]!.message).toMatch(/^line 2, column "notes": bytes that are not valid UTF-16LE/);

    const odd = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name,notes\nA,ok\nB,x', 'utf16le'), Buffer.from([0x41])]);
    const o = await read(file(odd));
    expect(o.recs.map((x) => x.kind)).toEqual(['record', 'malformed']);
    expect(o.recs[1]!.values).toEqual(['B', 'x\uFFFD']);
  });

  it('refuses a header with bytes invalid in the encoding, naming the column', async () => {
    const p = file(Buffer.from('Pr\xe9nom,email\nA,a@example.com\n', 'latin1'));
    await expect(openCsvSource(p, { encoding: 'utf-8' })).rejects.toThrow(/, line 1, column "Pr\uFFFDnom" of the header: bytes that are not valid UTF-8/);
    expect((await read(p)).header).toEqual(['Prénom', 'email']);
  });
});

describe('scanUtf8', () => {
  it('counts UTF-8 letters and invalid bytes by the WHATWG rules', async () => {
    const { scanUtf8 } = await import('../src/source/encoding.js');
    expect(scanUtf8(Buffer.from('aé€😀'), true)).toEqual({ multiByte: 3, invalid: 0 });
    expect(scanUtf8(Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80]), true).multiByte).toBe(0); // overlong, surrogate, > U+10FFFF
    expect(scanUtf8(Buffer.from([0xe2, 0x82, 0x41]), true)).toEqual({ multiByte: 0, invalid: 1 });
    expect(scanUtf8(Buffer.from([0x41, 0xe2, 0x82]), false)).toEqual({ multiByte: 0, invalid: 0 });
    expect(scanUtf8(Buffer.from([0x41, 0xe2, 0x82]), true)).toEqual({ multiByte: 0, invalid: 1 });
  });

  it('reads a file of Windows-1252 letters with one accidental UTF-8 pair as Windows-1252', () => {
    // "Ã©" is C3 A9, a valid UTF-8 é; the other four accented letters are lone high bytes.
    const sample = Buffer.from('name\nJos\xe9 \xc3\xa9 M\xfcller Se\xf1or \xe0\n', 'latin1');
    expect(detectEncoding(sample, true).encoding).toBe('windows-1252');
  });
});
