// Source stage: file bytes → CSV records with their row and line numbers.
// Streaming: the parser is pulled by the consumer's `for await`, so nothing is read faster than
// rows are sent (backpressure all the way back to the file), and memory is bounded by the record
// size limit whatever the file holds.
//
// Every record the parser finds is yielded exactly once, as a `record` or as a `malformed` one
// (wrong field count, a field over the size limit, a NUL byte, bytes invalid in the encoding, a
// quote never closed at the end). Only problems that concern the whole file are thrown, as
// SourceError: unreadable file, no header, a header we cannot trust, or a record so large that
// the parser cannot find where the next one starts.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Parser, type CsvError, type Info, type Options as CsvOptions } from 'csv-parse';
import type { SourceRecord } from '../types.js';
import {
  ACCEPTED_ENCODINGS_TEXT,
  canHaveInvalidBytes,
  decodeSample,
  DecodeStream,
  describeEncodingReason,
  detectEncoding,
  invalidBytesMessage,
  normalizeEncodingName,
  SNIFF_BYTES,
  type DetectedEncoding,
  type SupportedEncoding,
} from './encoding.js';
import { EncodingError, SourceError } from './errors.js';

export { EncodingError, SourceError } from './errors.js';
export { normalizeEncodingName, SUPPORTED_ENCODINGS, ACCEPTED_ENCODINGS_TEXT, type SupportedEncoding } from './encoding.js';

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/** A record larger than this stops the run (the file is likely not CSV, or a quote is never closed). */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** A field larger than this makes its row malformed; the other rows import. */
export const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
/** A header with more columns than this is refused: the file is not the CSV it seems to be. */
export const DEFAULT_MAX_COLUMNS = 1000;
/** How much of an oversized value is kept (in the failures file), so memory stays bounded. */
export const OVERSIZED_VALUE_KEEP_CHARS = 100;

export interface CsvSourceOptions {
  /** A single character; undefined = sniff from the header among , ; tab |. */
  delimiter?: string;
  /**
   * Any name normalizeEncodingName accepts (utf-8, utf-16le, utf-16be, windows-1252, latin1 and
   * their aliases); undefined = detect. An unknown name throws EncodingError.
   */
  encoding?: string;
  /** Largest field, in bytes as UTF-8; a larger one makes its row malformed. @default 65536 */
  maxFieldBytes?: number;
  /**
   * Largest record, and longest physical line, in bytes as UTF-8; a larger one stops the run with
   * a SourceError, since the parser cannot tell where the next record starts.
   * @default max(1 MiB, 2 × maxFieldBytes)
   */
  maxRecordBytes?: number;
  /** Most columns the header may have. @default 1000 */
  maxColumns?: number;
  /**
   * Bytes per read from the file. @default 65536. A test seam: tiny reads put characters, line
   * ends and surrogate pairs across chunk boundaries, where streaming decoders go wrong.
   */
  readChunkBytes?: number;
}

export interface CsvSource {
  header: string[];
  delimiter: string;
  /** The encoding the file is read in: utf-8, utf-16le, utf-16be, windows-1252 or latin1. */
  encoding: SupportedEncoding;
  /** How that encoding was chosen, in words ("from its byte-order mark", "set by --encoding"…). */
  encodingReason: string;
  /** Data records after the header, in file order. Iterate once. */
  records: AsyncIterable<SourceRecord>;
  /** Bytes consumed from the file so far (for progress). */
  bytesRead(): number;
  close(): void;
}

/**
 * Picks the delimiter that occurs most often, outside quotes, in the header. Header lines are
 * short and made of names, so the count there is a reliable signal; a tie goes to the earlier
 * candidate (comma first).
 */
export function sniffDelimiter(headerLine: string): string {
  const counts = new Map<string, number>();
  let inQuotes = false;
  for (const ch of headerLine) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (DELIMITER_CANDIDATES as readonly string[]).includes(ch)) {
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
  }
  let best = ',';
  let bestCount = 0;
  for (const d of DELIMITER_CANDIDATES) {
    const c = counts.get(d) ?? 0;
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

/**
 * The text of the first record: blank lines skipped as the parser skips them, and a line break
 * inside quotes kept (a header cell may hold one).
 */
export function firstRecordText(text: string): string {
  const start = text.search(/[^\r\n]/);
  if (start === -1) return '';
  let inQuotes = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) inQuotes = !inQuotes;
    else if (!inQuotes && (c === 0x0a || c === 0x0d)) return text.slice(start, i);
  }
  return text.slice(start);
}

function readSample(path: string): { sample: Buffer; wholeFile: boolean } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new SourceError(`cannot read input file ${path}: ${why}`);
  }
  try {
    if (fstatSync(fd).isDirectory()) throw new SourceError(`cannot read input file ${path}: it is a folder`);
    const buf = Buffer.alloc(SNIFF_BYTES);
    let n = 0;
    // A pipe or a slow disk may return less than asked: read until full or end of file.
    for (;;) {
      const got = readSync(fd, buf, n, SNIFF_BYTES - n, null);
      if (got === 0) return { sample: buf.subarray(0, n), wholeFile: true };
      n += got;
      if (n === SNIFF_BYTES) return { sample: buf, wholeFile: false };
    }
  } catch (e) {
    if (e instanceof SourceError) throw e;
    throw new SourceError(`cannot read input file ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

function positiveInt(name: string, value: number | undefined, dflt: number): number {
  if (value === undefined) return dflt;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number of at least 1; got ${value}`);
  return value;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** UTF-8 length, computed only when the cheap bounds (1 to 3 bytes per UTF-16 unit) cannot decide. */
function exceeds(value: string, maxBytes: number): number | false {
  if (value.length * 3 <= maxBytes) return false;
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > maxBytes ? bytes : false;
}

/** At most `n` UTF-16 units, never splitting a surrogate pair. */
function head(value: string, n: number): string {
  if (value.length <= n) return value;
  const code = value.charCodeAt(n - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

const preview = (value: string): string => (value.length > OVERSIZED_VALUE_KEEP_CHARS ? head(value, OVERSIZED_VALUE_KEEP_CHARS) + '…' : value);

/** Physical line breaks inside a record's values (CRLF, CR, LF each count once), for line numbers. */
function lineBreaks(values: readonly string[]): number {
  let n = 0;
  for (const v of values) {
    if (v.indexOf('\n') === -1 && v.indexOf('\r') === -1) continue;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c === 0x0d) {
        n++;
        if (v.charCodeAt(i + 1) === 0x0a) i++;
      } else if (c === 0x0a) n++;
    }
  }
  return n;
}

function describeCsvError(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed: everything from here to the end of the file was read as one field; close the quote (or double the quote inside the field) and import these rows again';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'text follows a closing quote in a field; a quote inside a quoted field must be doubled ("")';
    default:
      return err.message;
  }
}

/** What the parser stream yields: a record, or (pushed by on_skip, in file order) an error. */
type ParserItem = { record: string[]; info: RecordCounters } | { skip: CsvError };

/** The parser's counters when a record was parsed: the blank lines skipped so far and the bytes read. */
interface RecordCounters {
  empty_lines: number;
  bytes: number;
}

/**
 * csv-parse's Parser, with each record tagged with the two counters the line numbers and the
 * progress need, read from the parser's live `info` as the record is pushed. The `info: true`
 * option gives the same numbers but copies the parser's whole state into two new objects per
 * record, a tenth of the dry run's time.
 */
class CountingParser extends Parser {
  constructor(options: CsvOptions) {
    super({ ...options, info: false, raw: false, objname: undefined, columns: false });
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (Array.isArray(chunk)) {
      const info = this.info;
      return super.push({ record: chunk as string[], info: { empty_lines: info.empty_lines, bytes: info.bytes } } satisfies ParserItem, encoding);
    }
    return super.push(chunk, encoding);
  }
}

interface Limits {
  maxFieldBytes: number;
  maxRecordBytes: number;
  maxColumns: number;
}

export async function openCsvSource(path: string, opts: CsvSourceOptions = {}): Promise<CsvSource> {
  let forced: SupportedEncoding | undefined;
  if (opts.encoding !== undefined) {
    forced = normalizeEncodingName(opts.encoding);
    if (!forced) throw new EncodingError(`unknown encoding ${JSON.stringify(opts.encoding)}: use ${ACCEPTED_ENCODINGS_TEXT}`);
  }
  const maxFieldBytes = positiveInt('maxFieldBytes', opts.maxFieldBytes, DEFAULT_MAX_FIELD_BYTES);
  const limits: Limits = {
    maxFieldBytes,
    maxRecordBytes: positiveInt('maxRecordBytes', opts.maxRecordBytes, Math.max(DEFAULT_MAX_RECORD_BYTES, 2 * maxFieldBytes)),
    maxColumns: positiveInt('maxColumns', opts.maxColumns, DEFAULT_MAX_COLUMNS),
  };

  const { sample, wholeFile } = readSample(path);
  let detected: DetectedEncoding;
  try {
    detected = detectEncoding(sample, wholeFile, forced);
  } catch (e) {
    if (e instanceof EncodingError) throw new EncodingError(`${path}: ${e.message}`);
    throw e;
  }
  const encoding = detected.encoding;
  const firstRecord = firstRecordText(decodeSample(sample, encoding));
  if (firstRecord.trim() === '') {
    throw new SourceError(`${path} has no header row: the first line must name the columns (e.g. name,email,phone)`);
  }
  const delimiter = opts.delimiter ?? sniffDelimiter(firstRecord);

  const file = createReadStream(path, { highWaterMark: positiveInt('readChunkBytes', opts.readChunkBytes, 64 * 1024) });
  const decoder = new DecodeStream(encoding, limits.maxRecordBytes);
  const parser = new CountingParser({
    delimiter,
    // The decoder already removed the BOM; this only matters for a second one, which is noise.
    bom: true,
    // Mixed line ends happen when files are concatenated (a header from one tool, rows from
    // another); accepting all three keeps such a file from becoming one giant record.
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: limits.maxRecordBytes,
    on_skip: (err: CsvError | undefined) => {
      if (!err) return;
      // Queued behind the records parsed before it, so the consumer sees errors in file order
      // and knows the exact line where the broken record starts.
      parser.push({ skip: err } satisfies ParserItem);
      // csv-parse drops the rest of its buffer after an over-long record and cannot know where
      // the next record starts, so later rows would vanish silently: the consumer stops at this
      // item with a SourceError, and reading stops now (a multi-GB file is not read to its end).
      if (err.code === 'CSV_MAX_RECORD_SIZE') file.destroy();
    },
  });
  // The same for a line too long for any record (see DecodeStream): the decoder ends its output
  // there, so the parser's last record is the cut-off line, which the consumer refuses.
  decoder.once('overlong', () => {
    file.unpipe(decoder);
    file.destroy();
  });
  file.on('error', (e) => parser.destroy(e));
  file.pipe(decoder).pipe(parser);

  const destroyAll = (): void => {
    file.destroy();
    decoder.destroy();
    parser.destroy();
  };
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<ParserItem>;
  const nextItem = async (): Promise<ParserItem | undefined> => {
    try {
      const r = await iterator.next();
      return r.done ? undefined : r.value;
    } catch (e) {
      if (e instanceof SourceError) throw e;
      throw new SourceError(`${path}: cannot read the file: ${(e as Error).message}`);
    }
  };
  const isTooLarge = (item: ParserItem): boolean => 'skip' in item && item.skip.code === 'CSV_MAX_RECORD_SIZE';

  const invalidBytes = canHaveInvalidBytes(encoding) ? invalidBytesMessage(encoding) : undefined;
  let header: string[];
  // Line-number state: where the previous record ended, and csv-parse's running count of the
  // blank lines it skipped. csv-parse's own `info.lines` counts a CRLF inside quotes twice, so
  // lines are counted here from the values instead.
  let prevEndLine: number;
  let prevEmpty: number;
  // Records are yielded one behind the parser: only once the next item (or the end) is known is
  // it certain that an item is not the cut-off start of an overlong line.
  let ahead: ParserItem | undefined;
  try {
    const first = await nextItem();
    if (!first) throw new SourceError(`${path} has no header row: the first line must name the columns (e.g. name,email,phone)`);
    if (!('skip' in first)) ahead = await nextItem();
    if (isTooLarge(first) || (!ahead && decoder.overlong)) {
      throw new SourceError(
        `${path}: the header row is larger than ${limits.maxRecordBytes} bytes: the file is probably not CSV (is it a spreadsheet or a binary file?), or a quote in the first line is never closed`,
      );
    }
    if ('skip' in first) throw new SourceError(`${path}: the header row cannot be read: ${describeCsvError(first.skip)}`);
    header = first.record;
    const headerLine = 1 + first.info.empty_lines;
    checkHeader(path, header, headerLine, limits, invalidBytes);
    prevEndLine = headerLine + lineBreaks(header);
    prevEmpty = first.info.empty_lines;
  } catch (e) {
    destroyAll();
    throw e;
  }

  // Progress is the share of the file *parsed into rows handed on*, not of the bytes pulled from
  // disk (those run a few buffers ahead, which on a small file is all of it). csv-parse counts the
  // decoded text as UTF-8 bytes: close to the file's own bytes, and half for UTF-16.
  let consumed = 0;
  const bytesPerParsedByte = encoding === 'utf-16le' || encoding === 'utf-16be' ? 2 : 1;

  async function* records(): AsyncGenerator<SourceRecord> {
    let row = 0;
    consumed = 0;
    const emptyOf = (item: ParserItem): number => ('skip' in item ? ((item.skip as unknown as Info).empty_lines ?? prevEmpty) : item.info.empty_lines);
    const startLine = (item: ParserItem): number => prevEndLine + 1 + (emptyOf(item) - prevEmpty);
    const tooLarge = (item: ParserItem): SourceError =>
      new SourceError(
        `${path}, line ${startLine(item)}: a record is larger than ${limits.maxRecordBytes} bytes, so the rows after it cannot be found: ` +
          'the file is probably not CSV, or a quote on that line is never closed (a quote inside a quoted field must be doubled ""). ' +
          `Fix that line and run again (the ${fmt(row)} ${row === 1 ? 'row' : 'rows'} before it ${row === 1 ? 'was' : 'were'} read)`,
      );
    try {
      let current = ahead;
      ahead = undefined;
      while (current) {
        if (isTooLarge(current)) throw tooLarge(current);
        const following = await nextItem();
        if (!following && decoder.overlong) throw tooLarge(current);
        const line = startLine(current);
        row++;
        prevEmpty = emptyOf(current);
        if ('skip' in current) {
          yield { kind: 'malformed', row, line, values: [], message: `line ${line}: ${describeCsvError(current.skip)}` };
          // Where a skipped record ends is unknown; csv-parse only skips at the end of the file
          // here (a quote never closed), so nothing follows it anyway.
          prevEndLine = line;
        } else {
          prevEndLine = line + lineBreaks(current.record);
          consumed = current.info.bytes;
          yield checkRecord(current.record, row, line, header, limits, invalidBytes);
        }
        current = following;
      }
      consumed = Number.POSITIVE_INFINITY;
    } finally {
      destroyAll();
    }
  }

  return {
    header,
    delimiter,
    encoding,
    encodingReason: describeEncodingReason(detected),
    records: records(),
    bytesRead: () => Math.min(file.bytesRead, consumed * bytesPerParsedByte),
    close: destroyAll,
  };
}

function columnName(header: readonly string[], i: number): string {
  const name = header[i];
  return name === undefined || name.trim() === '' ? `column ${i + 1}` : `column ${JSON.stringify(head(name, 60))}`;
}

function checkHeader(path: string, header: readonly string[], line: number, limits: Limits, invalidBytes: string | undefined): void {
  const where = `${path}, line ${line}`;
  if (header.length > limits.maxColumns) {
    throw new SourceError(
      `${where}: the header has ${fmt(header.length)} columns, more than the ${limits.maxColumns} accepted: ` +
        'the first line is probably not a header row, or the delimiter is wrong (pass --delimiter)',
    );
  }
  if (header.every((h) => h.trim() === '')) {
    throw new SourceError(
      `${where}: the header row has no column names: the first line must name the columns (e.g. name,email,phone); if the spreadsheet starts with an empty row, delete it`,
    );
  }
  for (let i = 0; i < header.length; i++) {
    const name = header[i]!;
    if (name.includes('\0')) {
      throw new SourceError(
        `${where}: the header contains NUL bytes: the file is binary, or UTF-16 text without a byte-order mark ` +
          '(then pass --encoding utf-16le or --encoding utf-16be)',
      );
    }
    if (invalidBytes && name.includes('\uFFFD')) {
      throw new SourceError(`${where}, ${columnName(header, i)} of the header: ${invalidBytes}`);
    }
    const size = exceeds(name, limits.maxFieldBytes);
    if (size !== false) {
      throw new SourceError(
        `${where}: header column ${i + 1} is ${fmt(size)} bytes long: the first line is probably not a header row, or a quote in it is never closed`,
      );
    }
  }
}

const MAX_PROBLEMS_LISTED = 3;
const MAX_EXTRAS_LISTED = 5;

function checkRecord(
  record: string[],
  row: number,
  line: number,
  header: readonly string[],
  limits: Limits,
  invalidBytes: string | undefined,
): SourceRecord {
  const width = header.length;
  let problems: string[] | undefined;
  let values = record;
  if (record.length !== width) {
    values = record.slice(0, width);
    while (values.length < width) values.push('');
    const extra = record.slice(width);
    const listed = extra.slice(0, MAX_EXTRAS_LISTED).map((v) => JSON.stringify(preview(v)));
    const more = extra.length > MAX_EXTRAS_LISTED ? ` and ${fmt(extra.length - MAX_EXTRAS_LISTED)} more` : '';
    problems = [
      record.length > width
        ? `row has ${fmt(record.length)} fields but the header has ${fmt(width)}; extra values ${listed.join(', ')}${more} were cut off (an unquoted delimiter inside a value?)`
        : `row has ${fmt(record.length)} fields but the header has ${fmt(width)} (a line break inside an unquoted value, or missing delimiters?)`,
    ];
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v.length === 0) continue;
    const size = exceeds(v, limits.maxFieldBytes);
    if (size !== false) {
      (problems ??= []).push(
        `${columnName(header, i)}: field is ${fmt(size)} bytes long, more than --max-field-size ${limits.maxFieldBytes}; shorten it, or raise --max-field-size`,
      );
      if (values === record) values = record.slice();
      values[i] = preview(v);
      continue;
    }
    if (v.includes('\0')) {
      (problems ??= []).push(`${columnName(header, i)}: contains a NUL byte (binary data?); remove it, and check that the file was exported as text`);
    } else if (invalidBytes && v.includes('\uFFFD')) {
      (problems ??= []).push(`${columnName(header, i)}: ${invalidBytes}`);
    }
  }
  if (!problems) return { kind: 'record', row, line, values };
  const listed = problems.slice(0, MAX_PROBLEMS_LISTED);
  const first = listed[0]!;
  let message = first.startsWith('column ') ? `line ${line}, ${first}` : `line ${line}: ${first}`;
  for (const p of listed.slice(1)) message += `; ${p}`;
  if (problems.length > MAX_PROBLEMS_LISTED) message += `; and ${problems.length - MAX_PROBLEMS_LISTED} more problems in this row`;
  return { kind: 'malformed', row, line, values, message };
}
