// Source stage for .xlsx workbooks: one worksheet → the same records the CSV source yields.
//
// Row numbers are the sheet's own (`row` and `line` alike), so a row named in the results or
// failures file is the row a person finds in Excel; rows missing from the file (never touched
// in Excel) are not invented, and rows present but empty are yielded empty, which the pipeline
// counts as skipped.
//
// Values are the text a person sees (see xlsx-format.ts). A number cell holds a number, never
// text: a `+` or a leading `0` typed into it is gone before the file is saved, unless its number
// format shows it (00000, "+"0). Phones and IDs keep them only when stored as text.
//
// Streaming: the sheet is decompressed and parsed chunk by chunk as the consumer pulls rows, so
// memory holds one chunk's rows (each bounded by the header width and maxFieldBytes) plus the
// shared string table, which the format makes every reader keep whole.
import type { ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { SourceRecord } from '../types.js';
import { SourceError } from './errors.js';
import { positiveInt, resolveLimits } from './limits.js';
import { XLSX_ADVICE } from './messages.js';
import { maxXmlRunChars, XmlPush } from './xlsx-parts.js';
import { rowMessage, SheetParser, type ParsedRow } from './xlsx-sheet.js';
import { openWorksheet } from './xlsx-workbook.js';
import type { CommonSourceOptions, Source, XlsxFormat } from './types.js';

export interface XlsxSourceOptions extends CommonSourceOptions {
  /** Worksheet name, matched ignoring case; undefined = the first visible worksheet. */
  sheet?: string;
  /** Most memory the shared string table may take (estimated); more stops with a SourceError. @default 512 MiB */
  maxSharedStringsBytes?: number;
}

const DEFAULT_MAX_SHARED_STRINGS_BYTES = 512 * 1024 * 1024;

/**
 * Opens one worksheet of an .xlsx workbook as a source of records, with the same limits and the
 * same malformed-row rules as the CSV source.
 */
export async function openXlsxSource(path: string, opts: XlsxSourceOptions = {}): Promise<Source<XlsxFormat>> {
  const { maxFieldBytes, maxColumns } = resolveLimits(opts);
  const maxSharedStringsBytes = positiveInt('maxSharedStringsBytes', opts.maxSharedStringsBytes, DEFAULT_MAX_SHARED_STRINGS_BYTES);
  const { zip, size, sheetName, entry, formats, date1904, shared } = await openWorksheet(path, { sheet: opts.sheet, maxFieldBytes, maxSharedStringsBytes });

  const parser = new SheetParser({ path, sheetName, formats, date1904, shared, maxFieldBytes, maxColumns });
  const xml = new XmlPush(parser, maxXmlRunChars(maxFieldBytes));
  const sheetCompressed = Math.max(1, entry.compressedSize);
  let sheetFile: ReadStream | undefined;
  let entryStream: Readable;
  try {
    const before = new Set(zip.streams);
    entryStream = zip.open(entry);
    for (const s of zip.streams) if (!before.has(s)) sheetFile = s;
  } catch (e) {
    for (const s of zip.streams) s.destroy();
    throw e;
  }

  const chunks = entryStream[Symbol.asyncIterator]();
  let finished = false;
  let closed = false;
  let ended = false;
  let taken = 0;
  let lastRow = 0;

  const closeAll = (): void => {
    closed = true;
    // unzipper may still report on the stream it was feeding; nobody is listening any more.
    entryStream.on('error', () => {});
    entryStream.destroy();
    for (const s of zip.streams) s.destroy();
  };

  let failure: unknown;
  /** Parses one more chunk of the sheet; false at its end. */
  const pump = async (): Promise<boolean> => {
    if (failure !== undefined) {
      const e = failure;
      failure = undefined;
      ended = true;
      if (e instanceof SourceError) throw e;
      const after = lastRow > 0 ? ` after row ${lastRow}` : '';
      throw new SourceError(
        `${path}: sheet ${JSON.stringify(sheetName)} cannot be read${after}: the workbook is damaged or incomplete (${(e as Error).message}); open it in Excel and ${XLSX_ADVICE}`,
        { cause: e },
      );
    }
    if (ended) return false;
    try {
      const chunk = await chunks.next();
      if (chunk.done) {
        ended = true;
        xml.end();
      } else xml.write(chunk.value as Buffer);
    } catch (e) {
      if (closed) return false;
      // The rows completed before the damage are good: they go out first, then the error.
      failure = e;
    }
    return true;
  };

  /** The next data row, parsing as much of the sheet as that takes; undefined at the end. */
  const nextRow = async (): Promise<ParsedRow | undefined> => {
    const rows = parser.rows;
    while (!closed && taken >= rows.length) {
      rows.length = 0;
      taken = 0;
      if (!(await pump())) return undefined;
    }
    if (closed) return undefined;
    const row = rows[taken++]!;
    lastRow = row.r;
    return row;
  };

  let header: string[];
  try {
    // The parser takes the first non-empty row as the header as soon as it meets it, so the rows
    // after it in the same chunk are already read against it.
    while (!parser.header) {
      if (!(await pump())) {
        throw new SourceError(`${path}: sheet ${JSON.stringify(sheetName)} is empty: its first non-empty row must name the columns (e.g. Name, Email, Phone)`);
      }
    }
    header = parser.header;
  } catch (e) {
    closeAll();
    throw e;
  }
  const width = header.length;

  async function* records(): AsyncGenerator<SourceRecord> {
    try {
      for (;;) {
        const row = await nextRow();
        if (!row) break;
        if (row.extraCount === 0 && row.problemCount === 0) {
          yield { kind: 'record', row: row.r, line: row.r, values: row.values };
        } else {
          yield { kind: 'malformed', row: row.r, line: row.r, values: row.values, message: rowMessage(sheetName, row, width) };
        }
      }
      if (!closed) finished = true;
    } finally {
      closeAll();
    }
  }

  return {
    path,
    header,
    format: { kind: 'xlsx', sheet: sheetName },
    records: records(),
    bytesRead: () => {
      if (finished) return size;
      if (!sheetFile) return 0;
      return Math.min(size, Math.floor((size * Math.min(sheetFile.bytesRead, sheetCompressed)) / sheetCompressed));
    },
    size,
    pipe: false,
    skippedLines: () => ({ beforeHeader: 0, footer: 0 }),
    close: closeAll,
  };
}
