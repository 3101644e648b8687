// failures.csv: each failed row with the input's own columns, so a person can fix it in a
// spreadsheet and feed the file straight back in, plus why it failed.
import type { ErrorCode } from '../types.js';
import { CsvFileWriter } from './csv-file.js';

export const FAILURE_COLUMNS = ['_row', '_error', '_message'] as const;

export interface FailureRecord {
  row: number;
  values: readonly string[];
  code: ErrorCode;
  message: string;
}

export class FailuresWriter {
  private readonly file: CsvFileWriter;
  /** Input columns copied through: all but an earlier run's _row/_error/_message. */
  private readonly keep: number[];

  constructor(path: string, inputHeader: readonly string[]) {
    const ours = new Set<string>(FAILURE_COLUMNS);
    this.keep = inputHeader.flatMap((h, i) => (ours.has(h) ? [] : [i]));
    this.file = new CsvFileWriter(path, [...this.keep.map((i) => inputHeader[i]!), ...FAILURE_COLUMNS]);
  }

  get path(): string {
    return this.file.path;
  }

  write(f: FailureRecord): Promise<void> {
    return this.file.write([...this.keep.map((i) => f.values[i] ?? ''), String(f.row), f.code, f.message]);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
