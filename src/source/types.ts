// What every reader returns: the same records whatever the file, plus a description of the file
// that says what kind it is (a CSV's encoding and delimiter, a workbook's sheet) and nothing else.
import type { SourceRecord } from '../types.js';
import type { SupportedEncoding } from './encoding.js';

/** A text file read as CSV. */
export interface CsvFormat {
  kind: 'csv';
  /** The encoding the file is read in. */
  encoding: SupportedEncoding;
  /** How that encoding was chosen, in words ("from its byte-order mark", "set by --encoding"…). */
  encodingReason: string;
  /** A single character: given by --delimiter, or sniffed from the header. */
  delimiter: string;
  /** The header's line, when lines before it were skipped (a preamble). */
  headerLine?: number;
}

/** One worksheet of an .xlsx workbook. */
export interface XlsxFormat {
  kind: 'xlsx';
  /** The worksheet's name as the workbook spells it (for messages, and to tell runs apart). */
  sheet: string;
}

export type SourceFormat = CsvFormat | XlsxFormat;

/** An opened input file. Each reader narrows `F` to its own format. */
export interface Source<F extends SourceFormat = SourceFormat> {
  path: string;
  header: string[];
  format: F;
  /** Data records after the header, in file order. Iterate once. */
  records: AsyncIterable<SourceRecord>;
  /** Bytes consumed from the file so far (progress). */
  bytesRead(): number;
  /** The file's size in bytes (progress), read once when it was opened; 0 for a pipe. */
  size: number;
  /** Read once, as a stream (standard input, a FIFO, `<(…)`): it cannot be read again to resume. */
  pipe: boolean;
  /** Lines that are not rows: a preamble before the header, a known export's footer (complete once records are read). */
  skippedLines(): { beforeHeader: number; footer: number };
  close(): void;
}

/** Options both readers take: the limits that hold a workbook and its CSV export to one standard. */
export interface CommonSourceOptions {
  /** Largest field (cell), in bytes as UTF-8; a larger one makes its row malformed. @default 65536 */
  maxFieldBytes?: number;
  /** Most columns the header may have. @default 1000 */
  maxColumns?: number;
}
