// Source stage for CSV: file bytes → records with their row and line numbers.
// Streaming: the parser is pulled by the consumer's `for await`, so nothing is read faster than
// rows are sent (backpressure all the way back to the file or pipe), and memory is bounded by the
// record size limit whatever the file holds. The input is opened once (file.ts): standard input
// and pipes read like files.
//
// Every record the parser finds is yielded exactly once, as a `record` or as a `malformed` one
// (wrong field count, a field over the size limit, a NUL byte, bytes invalid in the encoding, or a
// stray quote: see csv-records.ts, which fails the line where it opened and reads on after it).
// Only problems that concern the whole file are thrown, as SourceError: unreadable file, no
// header, a header we cannot trust, or a line so long that the next one cannot be found.
import type { SourceRecord } from '../types.js';
import { salvageCells } from './csv-salvage.js';
import { delimiterLine, firstRecordText, sniffDelimiter } from './csv-dialect.js';
import { filledCells, findHeader, HEADER_CONFIRM_ROWS, isFooterLike, MAX_FOOTER_RECORDS, MAX_PREAMBLE_RECORDS, startsFooter } from './csv-layout.js';
import { TextRecords, type TextItem } from './csv-records.js';
import { checkHeader, checkRecord } from './csv-rows.js';
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
import { openInput, STDIN } from './file.js';
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
  /** Aborting ends a wait for the input's first bytes (a pipe with nothing in it yet). */
  signal?: AbortSignal;
}

const noHeader = (path: string): SourceError =>
  new SourceError(`${path} has no header row: the first line must name the columns (e.g. name,email,phone)`);

interface CsvLimits extends Limits {
  maxRecordBytes: number;
}

/** A zip archive (an .xlsx workbook) where CSV was expected: say so, not "NUL bytes in the header". */
function refuseZip(name: string, sample: Buffer, pipe: boolean): void {
  if (sample.length < 4 || sample.readUInt32BE(0) !== 0x504b0304) return;
  throw new SourceError(
    pipe
      ? `${name} is an .xlsx workbook (a zip archive), which cannot be read from a pipe or standard input (a zip is read from its end): save it to a file named .xlsx and import that, or export the sheet as CSV`
      : `${name} is an .xlsx workbook (a zip archive), not CSV: give it a name ending in .xlsx`,
  );
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

  const input = await openInput(path, SNIFF_BYTES, {
    ...(opts.readChunkBytes === undefined ? {} : { chunkBytes: positiveInt('readChunkBytes', opts.readChunkBytes, 64 * 1024) }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const { sample, wholeFile, size } = input;
  let detected: DetectedEncoding;
  try {
    refuseZip(path === STDIN ? 'standard input' : path, sample, input.pipe);
    detected = detectEncoding(sample, wholeFile, forced);
  } catch (e) {
    input.close();
    if (e instanceof EncodingError) throw new EncodingError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
  const encoding = detected.encoding;
  const sampleText = decodeSample(sample, encoding);
  const firstRecord = firstRecordText(sampleText);
  if (firstRecord.trim() === '') {
    input.close();
    throw noHeader(path);
  }
  const delimiter = opts.delimiter ?? sniffDelimiter(delimiterLine(sampleText, MAX_PREAMBLE_RECORDS));

  const decoder = new DecodeStream(encoding, limits.maxRecordBytes);
  // A line too long for any record (see DecodeStream): the decoder ends its output there, so the
  // last record is the cut-off line, which the consumer refuses; nothing more is read.
  decoder.once('overlong', () => {
    input.stream.unpipe(decoder);
    input.close();
  });
  input.stream.on('error', (e) => decoder.destroy(e));
  input.stream.pipe(decoder);
  const text = new TextRecords({ delimiter, maxRecordBytes: limits.maxRecordBytes, replayable: true });

  let closed = false;
  const destroyAll = (): void => {
    closed = true;
    input.close();
    decoder.destroy();
  };
  const chunks = decoder[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let queue: TextItem[] = [];
  let queued = 0;
  let ended = false;
  /** Items read ahead to find the header, handed out again first (when they cannot be parsed again). */
  let replay: TextItem[] = [];
  /** The next record or stray quote; undefined at the end (or once closed: a stop ends a wait for data). */
  const nextItem = async (): Promise<TextItem | undefined> => {
    if (replay.length > 0) return replay.shift();
    while (queued >= queue.length) {
      if (ended || closed) return undefined;
      queue = [];
      queued = 0;
      let r: IteratorResult<Buffer>;
      try {
        r = await chunks.next();
      } catch (e) {
        if (closed) return undefined;
        if (e instanceof SourceError) throw e;
        throw new SourceError(`${path}: cannot read the file: ${(e as Error).message}`, { cause: e });
      }
      if (r.done) {
        ended = true;
        queue = text.end();
      } else queue = text.write(r.value);
    }
    return queue[queued++];
  };

  const invalidBytes = canHaveInvalidBytes(encoding) ? invalidBytesMessage(encoding) : undefined;
  let header: string[];
  // Records are yielded one behind the reader: only once the next item (or the end) is known is
  // it certain that an item is not the cut-off start of an overlong line.
  let ahead: TextItem | undefined;
  /** Physical lines before the header that were looked past (a preamble). */
  let linesBeforeHeader = 0;
  try {
    let first = await nextItem();
    if (!first) throw noHeader(path);
    if (first.kind === 'record') {
      // Text before the table (LinkedIn's "Notes:", "Exported by CRM v2, 2024-05-01")? The header
      // is the first line the rows after it match in width (csv-layout.ts); the lines before it are
      // reported, not read as rows. Only a first line with at most one filled cell, or one the
      // next line does not match in width, makes us read ahead: an ordinary file (and a pipe that
      // sends a row at a time) waits for one line more, as before.
      const look: TextItem[] = [first];
      const second = await nextItem();
      if (second) look.push(second);
      if (filledCells(first.values) < 2 || (second?.kind === 'record' && second.values.length !== first.values.length)) {
        while (look.length < MAX_PREAMBLE_RECORDS + HEADER_CONFIRM_ROWS + 1) {
          const item = await nextItem();
          if (!item) break;
          look.push(item);
        }
      }
      const h = findHeader(look.map((x) => (x.kind === 'record' ? x.values : undefined)));
      first = look[h]!;
      if (h > 0) linesBeforeHeader = first.line - 1;
      if (first.kind === 'record') {
        // The rows read so far were parsed before the header's width was known, so a stray quote
        // among them was not caught (csv-records.ts): they are parsed again, as every later row is.
        text.width = first.values.length;
        const again = text.rewind(first.bytes, ended);
        if (again) {
          queue = again;
          queued = 0;
        } else replay = look.slice(h + 1);
      } else replay = look.slice(h + 1);
    }
    if (first.kind === 'record') ahead = await nextItem();
    if (first.kind === 'stray' && first.reason.includes('grows past')) {
      throw new SourceError(
        `${path}: the header row is larger than ${limits.maxRecordBytes} bytes: the file is probably not CSV (is it a spreadsheet or a binary file?), or a quote in the first line is never closed`,
      );
    }
    if (first.kind === 'record' && !ahead && decoder.overlong) {
      throw new SourceError(
        `${path}: the header row is larger than ${limits.maxRecordBytes} bytes: the file is probably not CSV (is it a spreadsheet or a binary file?), or a quote in the first line is never closed`,
      );
    }
    if (first.kind === 'stray') throw new SourceError(`${path}: the header row cannot be read: line ${first.line}: ${first.reason}; close the quote, or double a quote inside a name ("")`);
    header = first.values;
    checkHeader(path, header, first.line, limits, invalidBytes);
  } catch (e) {
    destroyAll();
    throw e;
  }

  // Progress is the share of the file *parsed into rows handed on*, not of the bytes pulled from
  // disk (those run a few buffers ahead, which on a small file is all of it). Decoded text is
  // counted as UTF-8 bytes: close to the file's own bytes, and half for UTF-16.
  let consumed = 0;
  const bytesPerParsedByte = encoding === 'utf-16le' || encoding === 'utf-16be' ? 2 : 1;

  let footerLines = 0;
  async function* records(): AsyncGenerator<SourceRecord> {
    let row = 0;
    consumed = 0;
    const tooLarge = (line: number): SourceError =>
      new SourceError(
        `${path}, line ${line}: a record is larger than ${limits.maxRecordBytes} bytes, so the rows after it cannot be found: ` +
          'it is one line with no line break to read on from; the file is probably not CSV. ' +
          `Fix that line and run again (the ${fmt(row)} ${row === 1 ? 'row' : 'rows'} before it ${row === 1 ? 'was' : 'were'} read)`,
      );
    /** One item as the record it makes, numbered. */
    function toRecord(current: TextItem): SourceRecord {
      row++;
      consumed = current.bytes;
      if (current.kind === 'stray') {
        return {
          kind: 'malformed',
          row,
          line: current.line,
          values: salvageCells(current.raw.replace(/[\r\n]+$/, ''), delimiter, header.length) ?? [],
          message:
            `line ${current.line}: ${current.reason} (a stray quote?): this line alone is failed, and reading went on at line ${current.line + 1}; ` +
            'close the quote, or double a quote inside a value (""), and import the row again',
          raw: current.raw,
        };
      }
      const rec = checkRecord(current.values, row, current.line, header, limits, invalidBytes);
      if (rec.kind === 'malformed') {
        rec.raw = current.text();
        if (current.lastLine > current.line) {
          rec.lines = current.lastLine - current.line + 1;
          rec.message = rec.message.replace(`line ${current.line}`, `line ${current.line} (a record of ${fmt(rec.lines)} lines, to line ${current.lastLine})`);
        }
      }
      return rec;
    }
    try {
      let current = ahead;
      ahead = undefined;
      // A known export's footer ("Grand Totals (5 records)" and the lines after it): held back
      // until the file ends (then skipped and counted) or a row of data comes (then read as rows).
      let footer: TextItem[] = [];
      while (current) {
        const following = await nextItem();
        if (!following && decoder.overlong) throw tooLarge(current.line);
        const footerLike = current.kind === 'record' && (footer.length > 0 ? isFooterLike(current.values) : startsFooter(current.values));
        if (footerLike && footer.length < MAX_FOOTER_RECORDS) {
          footer.push(current);
        } else {
          for (const f of footer) yield toRecord(f);
          footer = [];
          if (current.kind === 'record' && startsFooter(current.values)) footer.push(current);
          else yield toRecord(current);
        }
        current = following;
      }
      if (footer.length > 0) footerLines = footer[footer.length - 1]!.lastLine - footer[0]!.line + 1;
      consumed = Number.POSITIVE_INFINITY;
    } finally {
      destroyAll();
    }
  }

  return {
    path,
    header,
    format: { kind: 'csv', encoding, encodingReason: describeEncodingReason(detected), delimiter, ...(linesBeforeHeader > 0 ? { headerLine: linesBeforeHeader + 1 } : {}) },
    records: records(),
    bytesRead: () => Math.min(input.bytesRead(), consumed * bytesPerParsedByte),
    size,
    pipe: input.pipe,
    skippedLines: () => ({ beforeHeader: linesBeforeHeader, footer: footerLines }),
    close: destroyAll,
  };
}
