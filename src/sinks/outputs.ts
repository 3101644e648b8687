// Where every row's outcome goes: counted in the summary, journaled (live runs), then written as
// one line to the results or failures file. The one path for all outcomes, so the files, the
// journal and the counts cannot disagree.
import type { Logger } from '../log.js';
import type { CsvLineFile } from './csv-file.js';
import type { FailureFormat, FailureRecord } from './failures.js';
import type { Journal } from './journal.js';
import { resultLine, type CellFilter, type ResultRecord } from './results.js';
import { countFailure, type Summary } from './summary.js';

export class Outputs {
  constructor(
    private readonly summary: Summary,
    private readonly failures: CsvLineFile,
    private readonly failureFormat: FailureFormat,
    private readonly results: CsvLineFile | undefined,
    private readonly journal: Journal | undefined,
    private readonly log: Logger,
    private readonly cell: CellFilter,
  ) {}

  /** Before a row's first request, so a resumed run knows it may have reached LiveDesk. */
  markSent(row: number): void {
    this.journal?.markSent(row);
  }

  result(r: ResultRecord): void {
    const line = resultLine(r, this.cell);
    if (r.outcome === 'would_create') this.summary.wouldCreate++;
    else this.summary[r.outcome]++;
    if (r.outcome !== 'would_create') this.journal?.record({ row: r.row, kind: r.outcome, file: 'results', line });
    this.results?.write(line);
  }

  failure(f: FailureRecord): void {
    countFailure(this.summary, f.code, f.row, f.message);
    this.log.info({ row: f.row, error: f.code }, `row ${f.row}: ${f.code}: ${f.message}`);
    const line = this.failureFormat.line(f);
    this.journal?.record({ row: f.row, kind: 'failed', code: f.code, file: 'failures', line });
    this.failures.write(line);
  }

  close(): void {
    this.journal?.close();
    this.failures.close();
    this.results?.close();
  }
}
