// Property-based tests of the CSV source over generated and mutated files.
//
// The seed is fixed so CI runs the same cases every time; fast-check prints the seed and the
// counterexample's path when a property fails. To explore new cases locally:
//   FC_SEED=$RANDOM FC_RUNS=2000 FC_PIPELINE_RUNS=300 npx vitest run test/fuzz-source.test.ts
// Each case gets a generous time budget (a hang guard, not a speed check).
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseSync } from 'csv-parse/sync';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { run as runImport } from '../src/run/run.js';
import { normalizeOptions, UsageError } from '../src/options.js';
import { DELIMITER_CANDIDATES } from '../src/source/csv-dialect.js';
import { openCsvSource, type CsvSourceOptions } from '../src/source/csv-source.js';
import { SourceError } from '../src/source/errors.js';
import { scratchFiles } from './helpers/source.js';
import type { SourceRecord } from '../src/types.js';

const SEED = Number(process.env.FC_SEED ?? 1_868_211);
const RUNS = Number(process.env.FC_RUNS ?? 150);
const CASE_TIMEOUT_MS = 10_000;
const params = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns, timeout: CASE_TIMEOUT_MS });

const { dir, file } = scratchFiles('ldi-fuzz-');

type Read = { header: string[]; recs: SourceRecord[]; delimiter: string } | { error: unknown };
async function readAll(path: string, opts: CsvSourceOptions = {}): Promise<Read> {
  try {
    const src = await openCsvSource(path, opts);
    const recs: SourceRecord[] = [];
    for await (const r of src.records) recs.push(r);
    return { header: src.header, recs, delimiter: src.format.delimiter };
  } catch (error) {
    return { error };
  }
}

/** The invariants every read must keep, whatever the bytes. */
function checkInvariants(r: Read): void {
  if ('error' in r) {
    // Only a SourceError may escape, never a TypeError, RangeError, csv-parse error, …
    expect(r.error).toBeInstanceOf(SourceError);
    expect((r.error as Error).message.length).toBeLessThan(2000);
    return;
  }
  let prevLine = 1;
  r.recs.forEach((rec, i) => {
    expect(rec.row).toBe(i + 1);
    expect(rec.line).toBeGreaterThan(prevLine);
    prevLine = rec.line;
    if (rec.kind === 'record') {
      expect(rec.values).toHaveLength(r.header.length);
    } else {
      expect(rec.values.length === 0 || rec.values.length === r.header.length).toBe(true);
      expect(rec.message.startsWith(`line ${rec.line}`)).toBe(true);
      expect(rec.message.length).toBeLessThan(2000);
    }
  });
}

// ---- generating valid CSV -------------------------------------------------------------------

// Characters that stress CSV structure and decoding: every candidate delimiter, quotes, each line
// end, non-ASCII in 2, 3 and 4 UTF-8 bytes, a BOM character, a no-break space.
const tricky = fc.constantFrom(',', ';', '\t', '|', '"', '""', '\r', '\n', '\r\n', ' ', 'a', 'Z', '0', '@', 'é', 'ñ', '€', '’', 'Ω', '中', '😀', '\u00a0', '\ufeff');
const anyChar = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }));
// NUL and U+FFFD are excluded: the source reports them by design (tested elsewhere).
const cellArb = fc
  .array(fc.oneof({ weight: 3, arbitrary: tricky }, { weight: 1, arbitrary: anyChar }), { maxLength: 10 })
  .map((parts) => parts.join('').replace(/[\0\uFFFD]/g, ''));

const dialectArb = fc.record({
  delimiter: fc.constantFrom(...DELIMITER_CANDIDATES),
  eol: fc.constantFrom('\n', '\r\n', '\r'),
  finalEol: fc.boolean(),
  quoteAll: fc.boolean(),
  explicitDelimiter: fc.boolean(),
  // Tiny reads split characters, CRLFs and surrogate pairs across chunks; 1-byte reads are the
  // harshest and the slowest, hence their low weight.
  readChunkBytes: fc.oneof({ weight: 1, arbitrary: fc.constant(1) }, { weight: 3, arbitrary: fc.constantFrom(2, 3, 5) }, { weight: 4, arbitrary: fc.constant(64 * 1024) }),
  encoding: fc.constantFrom('utf-8', 'utf-8-bom', 'utf-16le-bom', 'utf-16be-bom', 'utf-16le-forced', 'windows-1252-forced'),
});
type Dialect = typeof dialectArb extends fc.Arbitrary<infer T> ? T : never;

const tableArb = fc.integer({ min: 1, max: 5 }).chain((width) =>
  fc.record({
    header: fc.array(cellArb, { minLength: width, maxLength: width }),
    rows: fc.array(fc.array(cellArb, { minLength: width, maxLength: width }), { maxLength: 12 }),
  }),
);

function quoteCell(v: string, width: number, quoteAll: boolean): string {
  // Any candidate delimiter is quoted, not only the one in use, so the header sniff sees none of
  // them outside quotes; a lone empty cell is quoted so its line is not a blank line; a leading
  // U+FEFF is quoted so it is not taken for a byte-order mark.
  const needs = quoteAll || /[",;\t|\r\n]/.test(v) || (width === 1 && v === '') || v.startsWith('\ufeff');
  return needs ? `"${v.replace(/"/g, '""')}"` : v;
}

interface Written {
  text: string;
  /** UTF-16 offset in `text` where each record (header first) starts. */
  starts: number[];
}
function writeCsv(header: string[], rows: string[][], d: Dialect): Written {
  let text = '';
  const starts: number[] = [];
  const all = [header, ...rows];
  all.forEach((cells, i) => {
    starts.push(text.length);
    text += cells.map((c) => quoteCell(c, header.length, d.quoteAll)).join(d.delimiter);
    if (i < all.length - 1 || d.finalEol) text += d.eol;
  });
  return { text, starts };
}

function encode(text: string, d: Dialect): { bytes: Buffer; opts: CsvSourceOptions } | undefined {
  const opts: CsvSourceOptions = { readChunkBytes: d.readChunkBytes, ...(d.explicitDelimiter ? { delimiter: d.delimiter } : {}) };
  switch (d.encoding) {
    case 'utf-8':
      return { bytes: Buffer.from(text, 'utf8'), opts };
    case 'utf-8-bom':
      return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]), opts };
    case 'utf-16le-bom':
      return { bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), opts };
    case 'utf-16be-bom':
      return { bytes: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]), opts };
    case 'utf-16le-forced':
      return { bytes: Buffer.from(text, 'utf16le'), opts: { ...opts, encoding: 'utf-16le' } };
    case 'windows-1252-forced': {
      const bytes = iconv.encode(text, 'windows-1252');
      // Only texts Windows-1252 can hold (no '?' substitutes), and not its 5 undefined bytes.
      if (iconv.decode(bytes, 'windows-1252') !== text) return undefined;
      return { bytes, opts: { ...opts, encoding: 'cp1252' } };
    }
  }
}

/** Physical line of each offset: CRLF, CR and LF each end one line. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d) {
      line++;
      if (text.charCodeAt(i + 1) === 0x0a && i + 1 < offset) i++;
    } else if (c === 0x0a) line++;
  }
  return line;
}

/**
 * The header row decides the delimiter when it is not given: with a one-column header there is
 * no delimiter to see, so a many-column data row would be read with the default comma. Files
 * whose header has a single column therefore get their delimiter given explicitly.
 */
function sourceOptions(width: number, d: Dialect, opts: CsvSourceOptions): CsvSourceOptions {
  return width === 1 && d.delimiter !== ',' ? { ...opts, delimiter: d.delimiter } : opts;
}

describe('fuzz: valid CSV round-trips exactly', () => {
  it('every generated row comes back with its values, row number and line', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, dialectArb, async ({ header, rows }, d) => {
        const w = writeCsv(header, rows, d);
        const enc = encode(w.text, d);
        fc.pre(enc !== undefined);
        fc.pre(header.some((h) => h.trim() !== '')); // a header of blank names is refused (tested elsewhere)
        const r = await readAll(file(enc!.bytes), sourceOptions(header.length, d, enc!.opts));
        if ('error' in r) throw r.error;
        expect(r.header).toEqual(header);
        expect(r.recs).toEqual(rows.map((values, i) => ({ kind: 'record', row: i + 1, line: lineAt(w.text, w.starts[i + 1]!), values })));
      }),
      params(RUNS),
    );
  });
});

// ---- mutating it --------------------------------------------------------------------------

const INTERESTING_BYTES = [0x22, 0x00, 0x0d, 0x0a, 0x2c, 0x3b, 0x09, 0x7c, 0xff, 0xfe, 0xef, 0xbb, 0xc3, 0xe2, 0xd8, 0x80, 0x20];
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.constantFrom(...INTERESTING_BYTES), count: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

function mutate(bytes: Buffer, mutations: Mutation[]): Buffer {
  let b = bytes;
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) {
          b = Buffer.from(b);
          b[at % b.length] = m.byte;
        }
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.count, m.byte), b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + m.count), b.subarray(at)]);
        break;
    }
  }
  return b;
}

describe('fuzz: damaged input never crashes, hangs or loses count', () => {
  it('arbitrary bytes: only SourceError, and consistent rows', async () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      // Mostly-text bytes hit the CSV paths more often than uniform noise.
      fc.array(fc.constantFrom(...INTERESTING_BYTES, 0x61, 0x62, 0x31, 0x40, 0x2e), { maxLength: 2048 }).map((a) => Uint8Array.from(a)),
    );
    await fc.assert(
      fc.asyncProperty(bytesArb, fc.constantFrom<CsvSourceOptions>({}, { encoding: 'utf-16be', readChunkBytes: 3 }, { maxFieldBytes: 16, maxRecordBytes: 64, readChunkBytes: 7 }), async (bytes, opts) => {
        checkInvariants(await readAll(file(bytes), opts));
      }),
      params(RUNS),
    );
  });

  it('valid CSV with flips, inserted quotes/NULs/line ends, deletions, truncation: only SourceError, consistent rows', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, dialectArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async ({ header, rows }, d, mutations) => {
        const enc = encode(writeCsv(header, rows, d).text, d);
        fc.pre(enc !== undefined);
        checkInvariants(await readAll(file(mutate(enc!.bytes, mutations)), enc!.opts));
      }),
      params(RUNS),
    );
  });

  it('a truncated file keeps every row that ended before the cut, and reports the cut one', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, dialectArb, fc.double({ min: 0, max: 1, noNaN: true }), async ({ header, rows }, d, where) => {
        fc.pre(header.some((h) => h.trim() !== ''));
        const w = writeCsv(header, rows, d);
        const bytes = Buffer.from(w.text, 'utf8');
        const byteStarts = w.starts.map((s) => Buffer.byteLength(w.text.slice(0, s), 'utf8'));
        const cut = Math.floor(where * bytes.length);
        const r = await readAll(file(bytes.subarray(0, cut)), { delimiter: d.delimiter, encoding: 'utf-8', readChunkBytes: d.readChunkBytes });
        checkInvariants(r);
        if (cut <= (byteStarts[1] ?? bytes.length)) return; // the header itself was cut
        if ('error' in r) throw r.error;
        // Rows whose text and line end lie wholly before the cut are all there, unchanged; the
        // row the cut went through (it never starts with a line break) comes back as one more
        // record, malformed or shortened, never dropped — or, when the cut left a quote open, as
        // its first line failed and each line after it read again as a row of its own.
        const complete = rows.filter((_, i) => (byteStarts[i + 2] ?? Number.POSITIVE_INFINITY) <= cut).length;
        const partial = complete < rows.length && byteStarts[complete + 1]! < cut ? 1 : 0;
        const partialBreaks = partial ? (bytes.subarray(byteStarts[complete + 1]!, cut).toString('latin1').match(/\r\n|\r|\n/g) ?? []).length : 0;
        expect(r.recs.length).toBeGreaterThanOrEqual(complete + partial);
        expect(r.recs.length).toBeLessThanOrEqual(complete + partial + partialBreaks);
        expect(r.recs.slice(0, complete).map((x) => [x.kind, x.values])).toEqual(rows.slice(0, complete).map((v) => ['record', v]));
      }),
      params(RUNS),
    );
  });

  it('a byte replaced inside a row changes that row only: every other row reads the same', async () => {
    const structural = new Set([0x22, 0x0d, 0x0a, 0x2c, 0x3b, 0x09, 0x7c]);
    const replacement = fc.constantFrom(0x00, 0x41, 0x7a, 0x80, 0x9d, 0xbf, 0xc3, 0xe2, 0xf0, 0xff);
    await fc.assert(
      fc.asyncProperty(tableArb, dialectArb, fc.array(fc.tuple(fc.nat(), replacement), { minLength: 1, maxLength: 3 }), async ({ header, rows }, d, hits) => {
        fc.pre(rows.length > 0 && header.some((h) => h.trim() !== ''));
        const w = writeCsv(header, rows, d);
        const bytes = Buffer.from(w.text, 'utf8');
        const byteStarts = w.starts.map((s) => Buffer.byteLength(w.text.slice(0, s), 'utf8'));
        const positions = hits.map(([at]) => at % bytes.length).filter((p) => !structural.has(bytes[p]!));
        fc.pre(positions.length > 0);
        const damaged = Buffer.from(bytes);
        positions.forEach((p, i) => (damaged[p] = hits[i]![1]));
        // Index of the record (0 = header) holding a byte offset.
        const recordAt = (p: number): number => byteStarts.findLastIndex((s) => s <= p);
        const hitRecords = new Set(positions.map(recordAt));
        const opts: CsvSourceOptions = { delimiter: d.delimiter, encoding: 'utf-8', readChunkBytes: d.readChunkBytes };
        const r = await readAll(file(damaged), opts);
        checkInvariants(r);
        if ('error' in r) {
          expect(hitRecords.has(0)).toBe(true); // only a damaged header may stop the read
          return;
        }
        expect(r.recs.map((x) => [x.row, x.line])).toEqual(rows.map((_, i) => [i + 1, lineAt(w.text, w.starts[i + 1]!)]));
        rows.forEach((values, i) => {
          if (!hitRecords.has(i + 1)) expect(r.recs[i]).toMatchObject({ kind: 'record', values });
        });
      }),
      params(RUNS),
    );
  });
});

// ---- through the pipeline ------------------------------------------------------------------

describe('fuzz: the dry-run pipeline accounts for every row', () => {
  const contactCell = fc.oneof(
    cellArb,
    fc.constantFrom('', 'Ada Lovelace', 'ada@example.com', 'not-an-email', '+447700900123', '0044 7700 900123', '12345', 'https://x.org/a.png', 'ftp://x'),
  );
  const contactsArb = fc.integer({ min: 2, max: 5 }).chain((width) =>
    fc.record({
      rows: fc.array(fc.array(contactCell, { minLength: width, maxLength: width }), { maxLength: 15 }),
      header: fc.constant(['name', 'email', 'phone', 'avatar', 'notes'].slice(0, width)),
    }),
  );

  it('summary.rows = valid + invalid + skipped = records read; the failures file holds the invalid rows', async () => {
    const log = pino({ level: 'silent' }) as unknown as Parameters<typeof runImport>[1]['log'];
    await fc.assert(
      fc.asyncProperty(contactsArb, dialectArb, fc.array(mutationArb, { maxLength: 3 }), async ({ header, rows }, d, mutations) => {
        const enc = encode(writeCsv(header, rows, d).text, d);
        // The pipeline has no --encoding yet: only files whose encoding is detected.
        fc.pre(enc !== undefined && enc.opts.encoding === undefined);
        const runDir = mkdtempSync(join(dir, 'run-'));
        const input = join(runDir, 'in.csv');
        writeFileSync(input, mutate(enc!.bytes, mutations));
        const failures = join(runDir, 'failures.csv');
        const source = await readAll(input, enc!.opts);
        let summary;
        try {
          const opts = normalizeOptions({ file: input, dryRun: true, failures, results: join(runDir, 'results.csv'), ...(d.explicitDelimiter ? { delimiter: d.delimiter === '\t' ? 'tab' : d.delimiter } : {}) }, {});
          ({ summary } = await runImport(opts, { log, say: () => {}, progressEveryMs: 0 }));
        } catch (e) {
          // Exit 2 (the file or its mapping is unusable) or a source error part-way through.
          expect(e instanceof UsageError || e instanceof SourceError).toBe(true);
          return;
        }
        if ('error' in source) throw new Error(`the source failed but the pipeline did not: ${String(source.error)}`);
        expect(summary.rows).toBe(source.recs.length);
        expect(summary.rows).toBe(summary.valid + summary.invalid + summary.skipped);
        // The failures file is written in the input's delimiter.
        const failed = parseSync(readFileSync(failures), { bom: true, relax_column_count: true, delimiter: source.delimiter }) as string[][];
        expect(failed.length - 1).toBe(summary.invalid);
        const malformed = source.recs.filter((x) => x.kind === 'malformed').map((x) => String(x.row));
        const rowCol = failed[0]!.indexOf('_row');
        const errCol = failed[0]!.indexOf('_error');
        expect(failed.slice(1).filter((f) => f[errCol] === 'malformed_row').map((f) => f[rowCol])).toEqual(malformed);
      }),
      params(Number(process.env.FC_PIPELINE_RUNS ?? 30)),
    );
  });
});

// ---- hostile files -----------------------------------------------------------------------

async function writeStreamed(path: string, head: string, chunk: Buffer, chunks: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(head);
  for (let i = 0; i < chunks; i++) {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

describe('hostile files', () => {
  const MiB = 1024 * 1024;

  it('a 50 MB line with no newline stops with a SourceError, reading little and holding little', async () => {
    const p = join(dir, 'no-newline.csv');
    await writeStreamed(p, 'name,email\nAda,ada@example.com\n', Buffer.alloc(MiB, 'x'), 50);
    const rssBefore = process.memoryUsage().rss;
    const src = await openCsvSource(p);
    const seen: SourceRecord[] = [];
    const err = await (async () => {
      for await (const r of src.records) seen.push(r);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as Error).message).toMatch(/no-newline\.csv, line 3: a record is larger than 1048576 bytes/);
    expect(seen).toEqual([{ kind: 'record', row: 1, line: 2, values: ['Ada', 'ada@example.com'] }]);
    expect(src.bytesRead()).toBeLessThan(8 * MiB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * MiB);

    // The same as the very first line (5 MB is plenty past the limit): refused before any row.
    const h = join(dir, 'no-newline-header.csv');
    await writeStreamed(h, '', Buffer.alloc(MiB, 'y'), 5);
    await expect(openCsvSource(h)).rejects.toThrow(/the header row is larger than 1048576 bytes/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * MiB);
  });

  it('a 50 MB line of commas stops with a SourceError (csv-parse alone would build one array of 50 million fields)', async () => {
    const p = join(dir, 'commas.csv');
    await writeStreamed(p, 'name,email\nAda,ada@example.com\n', Buffer.alloc(MiB, ','), 50);
    const rssBefore = process.memoryUsage().rss;
    const r = await readAll(p);
    expect('error' in r && r.error).toBeInstanceOf(SourceError);
    expect('error' in r && (r.error as Error).message).toMatch(/commas\.csv, line 3: a record is larger than 1048576 bytes.*\(the 1 row before it was read\)/);
    const h = join(dir, 'commas-header.csv');
    await writeStreamed(h, '', Buffer.alloc(MiB, ','), 5);
    await expect(openCsvSource(h)).rejects.toThrow(/the header row is larger than 1048576 bytes/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * MiB);
  });

  it('deeply quoted garbage: 5 MB of quotes, as header and as a row', async () => {
    const quotes = Buffer.alloc(MiB, '"');
    const a = join(dir, 'quotes-header.csv');
    await writeStreamed(a, '', quotes, 5);
    await expect(openCsvSource(a)).rejects.toThrow(SourceError);
    const b = join(dir, 'quotes-row.csv');
    await writeStreamed(b, 'name,email\n', quotes, 5);
    const r = await readAll(b);
    checkInvariants(r);
    expect('error' in r && (r.error as Error).message).toMatch(/line 2: a record is larger than/);
  });

  it('quotes that open and close on every line, 50,000 lines: every line is one row', async () => {
    const p = join(dir, 'quoted-lines.csv');
    await writeStreamed(p, 'name,notes\n', Buffer.from('"a""b",""""\n'.repeat(1000)), 50);
    const src = await openCsvSource(p);
    let n = 0;
    for await (const r of src.records) {
      n++;
      if (r.kind !== 'record' || r.values[0] !== 'a"b' || r.values[1] !== '"') throw new Error(`row ${r.row}: ${JSON.stringify(r)}`);
    }
    expect(n).toBe(50_000);
  });

  it('5 MB of random bytes: a SourceError or rows, nothing else', async () => {
    // A fixed xorshift stream, so the file is the same on every run.
    let x = 0x9e3779b9;
    const chunk = Buffer.alloc(MiB);
    const p = join(dir, 'random.bin');
    const out = createWriteStream(p);
    for (let c = 0; c < 5; c++) {
      for (let i = 0; i < chunk.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk[i] = x & 0xff;
      }
      out.write(Buffer.from(chunk));
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
    checkInvariants(await readAll(p));
    checkInvariants(await readAll(p, { encoding: 'latin1' }));
  });

  it('a row of 500,000 empty fields: malformed, with a short message', async () => {
    const r = await readAll(file('a,b\n' + ','.repeat(500_000) + '\n1,2\n'));
    checkInvariants(r);
    if ('error' in r) throw r.error;
    expect(r.recs.map((x) => x.kind)).toEqual(['malformed', 'record']);
    expect(r.recs[0]!.kind === 'malformed' && r.recs[0]!.message).toMatch(/^line 2: row has 500,001 fields but the header has 2; extra values "", "", "", "", "" and 499,994 more were cut off/);
  });
});
