// The sinks: where every row's Outcome goes, and the only things that read one. The output files
// and the journal first (a write that fails leaves the row without a recorded outcome, for
// --resume to redo), then the counts, the report's sample and the log.
import type { Logger } from '../log.js';
import type { Outcome } from '../types.js';
import type { Outputs } from './outputs.js';
import { ReportCollector, problemColumn, reportMapping, type MappingLike } from './report/index.js';
import { count, type Summary } from './summary.js';

export class Sinks {
  constructor(
    readonly summary: Summary,
    private readonly outputs: Outputs,
    private readonly log: Logger,
    private readonly report?: ReportSink,
  ) {}

  take(o: Outcome): void {
    this.outputs.take(o);
    // People know a fed-back failures file's rows by their original numbers; the journal does not.
    const row = this.outputs.shownRow(o);
    count(this.summary, o, row);
    this.report?.take(o, row);
    if (o.kind === 'failed') this.log.info({ row, error: o.code }, `row ${row}: ${o.code}: ${o.message}`);
    else if (o.kind === 'notSent' && o.reason !== undefined) this.log.warn({ row }, `row ${row}: ${o.reason}`);
  }

  /** The sent mark, before a row's first request: see Journal. */
  markSent(row: number): void {
    this.outputs.markSent(row);
  }

  /** The run saw every row to an outcome (see Journal.finish). */
  finish(): void {
    this.outputs.finish();
  }

  close(): void {
    this.outputs.close();
  }
}

/** Feeds the HTML report: a sample of the values that passed, and the failed rows with the cell at fault. */
export class ReportSink {
  readonly collector: ReportCollector;

  constructor(
    private readonly mapping: MappingLike,
    info: Omit<ConstructorParameters<typeof ReportCollector>[0], 'mapping' | 'ignored'>,
  ) {
    this.collector = new ReportCollector({ ...info, ...reportMapping(mapping) });
  }

  take(o: Outcome, row: number = o.row): void {
    switch (o.kind) {
      case 'failed':
        this.collector.problem({ row, values: o.values, code: o.code, message: o.message, column: problemColumn(this.mapping, o.values, o) });
        return;
      case 'created':
      case 'existing':
      case 'updated':
      case 'would_create':
      case 'valid':
        this.collector.sample(row, o.contact);
        return;
      default:
        return;
    }
  }
}
