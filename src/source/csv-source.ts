// Source stage: file bytes → CSV records with their row and line numbers.
// Streaming: the parser is pulled by the consumer's `for await`, so nothing is read faster than
// rows are sent (backpressure all the way back to the file).
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { parse, type CsvError, type Info } from 'csv-parse';
import type { SourceRecord } from '../types.js';

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/** The file cannot be read as CSV at all (not a single row's problem): exit 2. */
export class SourceError extends Error {
  readonly code = 'source_error';
}

export interface CsvSourceOptions {
  /** A single character; undefined = sniff from the header line. */
  delimiter?: string;
  /** Largest accepted record in bytes; a larger one stops the run (the file is likely not CSV). */
  maxRecordBytes?: number;
}

export interface CsvSource {
  header: string[];
  delimiter: string;
  /** Data records after the header, in file order. Iterate once. */
  records: AsyncIterable<SourceRecord>;
  /** Bytes consumed from the file so far (for progress). */
  bytesRead(): number;
  close(): void;
}

const SNIFF_BYTES = 64 * 1024;
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/**
 * Picks the delimiter that occurs most often, outside quotes, on the header line. Header lines
 * are short and made of names, so the count there is a reliable signal.
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

function readFirstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    const text = buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '');
    const end = text.search(/\r\n|\n|\r/);
    return end === -1 ? text : text.slice(0, end);
  } finally {
    closeSync(fd);
  }
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

export async function openCsvSource(path: string, opts: CsvSourceOptions = {}): Promise<CsvSource> {
  let firstLine: string;
  try {
    firstLine = readFirstLine(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a folder' : err.message;
    throw new SourceError(`cannot read input file ${path}: ${why}`);
  }
  if (firstLine.trim() === '') {
    throw new SourceError(`${path} has no header row: the first line must name the columns (e.g. name,email,phone)`);
  }
  const delimiter = opts.delimiter ?? sniffDelimiter(firstLine);
  const maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;

  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  // Errors csv-parse skips are reported through on_skip, synchronously, interleaved with records
  // it has already queued for us; remembering how many records came before each keeps file order.
  const skipped: Array<{ before: number; err: CsvError }> = [];
  const parser = parse({
    delimiter,
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: maxRecordBytes,
    on_skip: (err: CsvError | undefined) => {
      if (!err) return;
      // csv-parse drops the rest of its buffer after an over-long record, so rows would vanish
      // silently: stop the run instead, with the line.
      if (err.code === 'CSV_MAX_RECORD_SIZE') {
        throw new SourceError(
          `${path}, line ${(err as unknown as Info).lines}: a record is larger than ${maxRecordBytes} bytes; ` +
            'the file is probably not CSV, or a quote is never closed',
        );
      }
      skipped.push({ before: parser.info.records, err });
    },
  });
  file.on('error', (e) => parser.destroy(e));
  file.pipe(parser);

  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: Info }>;
  let header: string[];
  let prevEndLine = 0;
  let prevEmpty = 0;
  try {
    const first = await iterator.next();
    if (first.done) throw new SourceError(`${path} has no header row`);
    header = first.value.record;
    prevEndLine = first.value.info.lines;
    prevEmpty = first.value.info.empty_lines;
  } catch (e) {
    file.destroy();
    throw e instanceof SourceError ? e : new SourceError(`${path}: ${(e as Error).message}`);
  }
  if (skipped.length > 0) {
    file.destroy();
    throw new SourceError(`${path}, line 1: the header row cannot be read: ${describeCsvError(skipped[0]!.err)}`);
  }
  const width = header.length;

  async function* records(): AsyncGenerator<SourceRecord> {
    let row = 0;
    const startLine = (empty: number): number => prevEndLine + 1 + (empty - prevEmpty);
    function* flushSkipped(upTo: number): Generator<SourceRecord> {
      while (skipped.length > 0 && skipped[0]!.before < upTo) {
        const { err } = skipped.shift()!;
        const info = err as unknown as Info;
        const line = startLine(info.empty_lines ?? prevEmpty);
        row++;
        yield { kind: 'malformed', row, line, values: [], message: `line ${line}: ${describeCsvError(err)}` };
        prevEndLine = info.lines;
        prevEmpty = info.empty_lines ?? prevEmpty;
      }
    }
    try {
      for (;;) {
        let next: IteratorResult<{ record: string[]; info: Info }>;
        try {
          next = await iterator.next();
        } catch (e) {
          if (e instanceof SourceError) throw e;
          throw new SourceError(`${path}: ${(e as Error).message}`);
        }
        if (next.done) break;
        const { record, info } = next.value;
        yield* flushSkipped(info.records);
        row++;
        const line = startLine(info.empty_lines);
        prevEndLine = info.lines;
        prevEmpty = info.empty_lines;
        if (record.length === width) {
          yield { kind: 'record', row, line, values: record };
        } else {
          yield malformedWidth(row, line, record, width);
        }
      }
      yield* flushSkipped(Number.POSITIVE_INFINITY);
    } finally {
      file.destroy();
    }
  }

  return {
    header,
    delimiter,
    records: records(),
    bytesRead: () => file.bytesRead,
    close: () => {
      file.destroy();
      parser.destroy();
    },
  };
}

function malformedWidth(row: number, line: number, record: string[], width: number): SourceRecord {
  const values = record.slice(0, width);
  while (values.length < width) values.push('');
  const extra = record.slice(width);
  const detail =
    record.length > width
      ? `has ${record.length} fields but the header has ${width}; extra values ${extra.map((v) => JSON.stringify(v)).join(', ')} were cut off (an unquoted delimiter inside a value?)`
      : `has ${record.length} fields but the header has ${width} (a line break inside an unquoted value, or missing delimiters?)`;
  return { kind: 'malformed', row, line, values, message: `line ${line}: row ${detail}` };
}
