// failures.csv: each failed row with the input's own columns, so a person can fix it in a
// spreadsheet and feed the file straight back in, plus why it failed.
import type { ErrorCode } from '../errors.js';
import { csvLine } from './csv-file.js';
import type { CellFilter } from './results.js';

export const FAILURE_COLUMNS = ['_row', '_error', '_message'] as const;

export interface FailureRecord {
  row: number;
  values: readonly string[];
  code: ErrorCode;
  message: string;
}

export class FailureFormat {
  /** Input columns copied through: all but an earlier run's _row/_error/_message. */
  private readonly keep: number[];
  readonly headerLine: string;

  constructor(
    inputHeader: readonly string[],
    private readonly cell: CellFilter = (c) => c,
  ) {
    const ours = new Set<string>(FAILURE_COLUMNS);
    this.keep = inputHeader.flatMap((h, i) => (ours.has(h) ? [] : [i]));
    this.headerLine = csvLine([...this.keep.map((i) => cell(inputHeader[i]!)), ...FAILURE_COLUMNS]);
  }

  line(f: FailureRecord): string {
    return csvLine([...this.keep.map((i) => this.cell(f.values[i] ?? '')), String(f.row), f.code, this.cell(f.message)]);
  }
}
