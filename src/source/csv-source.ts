// Source stage for CSV: file bytes → records with their row and line numbers.
// Streaming: the parser is pulled by the consumer's `for await`, so nothing is read faster than
// rows are sent (backpressure all the way back to the file), and memory is bounded by the record
// size limit whatever the file holds.
//
// Every record the parser finds is yielded exactly once, as a `record` or as a `malformed` one
// (wrong field count, a field over the size limit, a NUL byte, bytes invalid in the encoding, a
// quote never closed at the end). Only problems that concern the whole file are thrown, as
// SourceError: unreadable file, no header, a header we cannot trust, or a record so large that
// the parser cannot find where the next one starts.
import { createReadStream } from 'node:fs';
import { Parser, type CsvError, type Info, type Options as CsvOptions } from 'csv-parse';
import type { SourceRecord } from '../types.js';
import { firstRecordText, sniffDelimiter } from './csv-dialect.js';
import { checkHeader, checkRecord, describeCsvError, lineBreaks } from './csv-rows.js';
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
import { readStart } from './file.js';
import { DEFAULT_MAX_RECORD_BYTES, fmt, positiveInt, resolveLimits, type Limits } from './limits.js';
import type { CommonSourceOptions, CsvFormat, Source } from './types.js';

export interface CsvSourceOptions extends CommonSourceOptions {
  /** A single character; undefined = sniff from the header among , ; tab |. */
  delimiter?: string;
  /**
   * Any name normalizeEncodingName accepts (utf-8, utf-16le, utf-16be, windows-1252, latin1 and
   * their aliases); undefined = detect. An unknown name throws EncodingError.
   */
  encoding?: string;
  /**
   * Largest record, and longest physical line, in bytes as UTF-8; a larger one stops the run with
   * a SourceError, since the parser cannot tell where the next record starts.
   * @default max(1 MiB, 2 × maxFieldBytes)
   */
  maxRecordBytes?: number;
  /**
   * Bytes per read from the file. @default 65536. A test seam: tiny reads put characters, line
   * ends and surrogate pairs across chunk boundaries, where streaming decoders go wrong.
   */
  readChunkBytes?: number;
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

const noHeader = (path: string): SourceError =>
  new SourceError(`${path} has no header row: the first line must name the columns (e.g. name,email,phone)`);

interface CsvLimits extends Limits {
  maxRecordBytes: number;
}

export async function openCsvSource(path: string, opts: CsvSourceOptions = {}): Promise<Source<CsvFormat>> {
  let forced: SupportedEncoding | undefined;
  if (opts.encoding !== undefined) {
    forced = normalizeEncodingName(opts.encoding);
    if (!forced) throw new EncodingError(`unknown encoding ${JSON.stringify(opts.encoding)}: use ${ACCEPTED_ENCODINGS_TEXT}`);
  }
  const common = resolveLimits(opts);
  const limits: CsvLimits = {
    ...common,
    maxRecordBytes: positiveInt('maxRecordBytes', opts.maxRecordBytes, Math.max(DEFAULT_MAX_RECORD_BYTES, 2 * common.maxFieldBytes)),
  };

  const { bytes: sample, size, wholeFile } = readStart(path, SNIFF_BYTES);
  let detected: DetectedEncoding;
  try {
    detected = detectEncoding(sample, wholeFile, forced);
  } catch (e) {
    if (e instanceof EncodingError) throw new EncodingError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
  const encoding = detected.encoding;
  const firstRecord = firstRecordText(decodeSample(sample, encoding));
  if (firstRecord.trim() === '') {
    throw noHeader(path);
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
      throw new SourceError(`${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
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
    if (!first) throw noHeader(path);
    if (!('skip' in first)) ahead = await nextItem();
    if (isTooLarge(first) || (!ahead && decoder.overlong)) {
      throw new SourceError(
        `${path}: the header row is larger than ${limits.maxRecordBytes} bytes: the file is probably not CSV (is it a spreadsheet or a binary file?), or a quote in the first line is never closed`,
      );
    }
    if ('skip' in first) throw new SourceError(`${path}: the header row cannot be read: ${describeCsvError(first.skip)}`, { cause: first.skip });
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
        'skip' in item ? { cause: item.skip } : undefined,
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
    path,
    header,
    format: { kind: 'csv', encoding, encodingReason: describeEncodingReason(detected), delimiter },
    records: records(),
    bytesRead: () => Math.min(file.bytesRead, consumed * bytesPerParsedByte),
    size,
    close: destroyAll,
  };
}
