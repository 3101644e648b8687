// failures.csv: each failed row with the input's own columns, so a person can fix it in a
// spreadsheet and feed the file straight back in, plus why it failed.
//
// It opens where the input came from (issue 15): written with the input's delimiter (a `;` file
// from a European Excel opens in columns there), and, when the input was not plain UTF-8
// (Windows-1252, Latin-1, UTF-16, UTF-8 with a byte-order mark, a workbook), as UTF-8 with a BOM:
// Excel reads a .csv without one in the computer's ANSI code page and garbles every accent. The
// BOM is part of the header line, so the journal records it and --resume rewrites it once.
import type { ErrorCode } from '../errors.js';
import { describeEncodingReason } from '../source/encoding.js';
import type { SourceFormat } from '../source/types.js';
import { csvLine } from './csv-file.js';
import type { CellFilter } from './results.js';

export const FAILURE_COLUMNS = ['_row', '_error', '_message'] as const;

const BOM = '\uFEFF';
/** Between a malformed row's message and its text as read, in `_message`. */
const AS_READ = '. The row as read: ';

export interface FailureRecord {
  row: number;
  values: readonly string[];
  code: ErrorCode;
  message: string;
  /** A malformed row's text as read: its cells may not hold it all (extra values cut off, a quote never closed). */
  raw?: string;
}

/** How a failures file is written: the input's delimiter, and a BOM when the input was not plain UTF-8. */
export interface FailureStyle {
  /** One character. */
  delimiter: string;
  /** Start the file with a UTF-8 byte-order mark. */
  bom: boolean;
}

const PLAIN: FailureStyle = { delimiter: ',', bom: false };

/**
 * The style a failures file takes from its input: a CSV's own delimiter, with a BOM unless the
 * CSV was UTF-8 without one; a workbook's, `,` with a BOM (its text is Unicode, and the file is
 * opened in the spreadsheet it came from).
 */
export function failureStyleFor(format: SourceFormat): FailureStyle {
  if (format.kind !== 'csv') return { delimiter: ',', bom: true };
  const plainUtf8 = format.encoding === 'utf-8' && format.encodingReason !== describeEncodingReason({ reason: 'bom' });
  return { delimiter: format.delimiter, bom: !plainUtf8 };
}

/** A failures file fed back in: it has the `_row` and `_error` columns this file adds. */
export function isFailuresFile(header: readonly string[]): boolean {
  return header.includes('_row') && header.includes('_error');
}

/** A `_row` cell as a row number, or undefined when it is not one (empty, edited, a row added by hand). */
function rowNumber(cell: string | undefined): number | undefined {
  if (cell === undefined) return undefined;
  const t = cell.trim();
  // Below 2^32 - 1: the in-file duplicate check stores row numbers in 32 bits.
  return /^[1-9]\d{0,9}$/.test(t) && Number(t) < 0xffffffff ? Number(t) : undefined;
}

/**
 * The row number people know a row by: in a fed-back failures file, the original row its `_row`
 * column names; otherwise (or when that cell holds no number) its own position in this input.
 * Only what is shown changes: the journal and --resume keep the position in the current input.
 */
export function rowNumbering(header: readonly string[]): (row: number, values: readonly string[]) => number {
  const at = isFailuresFile(header) ? header.indexOf('_row') : -1;
  if (at < 0) return (row) => row;
  return (row, values) => rowNumber(values[at]) ?? row;
}

export class FailureFormat {
  /** Input columns copied through: all but an earlier run's _row/_error/_message. */
  private readonly keep: number[];
  readonly headerLine: string;
  /** The row number written in `_row` (and the results file's `row`): see rowNumbering. */
  readonly shownRow: (row: number, values: readonly string[]) => number;
  /** A fed-back failures file's `_message` column, or -1. */
  private readonly oldMessage: number;

  constructor(
    private readonly inputHeader: readonly string[],
    private readonly cell: CellFilter = (c) => c,
    readonly style: FailureStyle = PLAIN,
  ) {
    const ours = new Set<string>(FAILURE_COLUMNS);
    this.keep = inputHeader.flatMap((h, i) => (ours.has(h) ? [] : [i]));
    this.headerLine = (style.bom ? BOM : '') + csvLine([...this.keep.map((i) => cell(inputHeader[i]!)), ...FAILURE_COLUMNS], style.delimiter);
    this.shownRow = rowNumbering(inputHeader);
    this.oldMessage = isFailuresFile(inputHeader) ? inputHeader.indexOf('_message') : -1;
  }

  /**
   * The format that goes on writing a file whose header line is `header` (from a journal, for
   * --resume): this one, or, for a file a version before issue 15 started, `,` without a BOM — so
   * a resumed file never changes delimiter half-way nor gets a second BOM.
   */
  continuing(header: string): FailureFormat {
    if (header === this.headerLine) return this;
    const plain = new FailureFormat(this.inputHeader, this.cell, PLAIN);
    return header === plain.headerLine ? plain : this;
  }

  line(f: FailureRecord): string {
    // The raw text goes in `_message`, not in a data column: fed back unfixed, a data column would
    // send it to LiveDesk as that field's value (a name holding a whole line), `_message` never.
    // A fed-back row that still fails carries the text its earlier `_message` kept, round after
    // round, until the row is fixed and imported.
    const raw = f.raw !== undefined && f.raw !== '' ? f.raw.replace(/[\r\n]+$/, '') : this.carried(f.values);
    const message = raw === undefined ? f.message : f.message + AS_READ + raw;
    return csvLine(
      [...this.keep.map((i) => this.cell(f.values[i] ?? '')), String(this.shownRow(f.row, f.values)), f.code, this.cell(message)],
      this.style.delimiter,
    );
  }

  /** The text as read that a fed-back row's `_message` kept, if it kept one. */
  private carried(values: readonly string[]): string | undefined {
    if (this.oldMessage < 0) return undefined;
    const old = values[this.oldMessage];
    const at = old === undefined ? -1 : old.indexOf(AS_READ);
    return at < 0 ? undefined : old!.slice(at + AS_READ.length);
  }
}
