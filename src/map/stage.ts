// The map stage: one source record → a row ready to send, or the outcome the file alone decides
// (blank → skipped; broken → malformed_row; invalid → its code; a repeat → duplicate_in_file).
// Rows a resumed run's predecessor finished yield nothing, but still enter the duplicate check,
// so a later row that repeats one is caught as it would have been in one uninterrupted run.
import { restoreCell } from '../security/formula.js';
import type { Outcome, SourceRecord, ValidRow } from '../types.js';
import { InFileDuplicates } from './dedupe.js';
import type { ResolvedMapping } from './mapping.js';
import { isBlank } from './normalize.js';
import { mapRow, type MapOptions } from './validate.js';

export interface MapStageOptions {
  mapping: ResolvedMapping;
  options: MapOptions;
  /** Take the formula guard (') off each cell before mapping: a fed-back failures file. */
  restoreFormulas: boolean;
  /** Rows the stopped run this one resumes already finished. */
  done?: { has(row: number): boolean };
}

/** The one blank-row rule: no cell holds anything visible (whitespace and invisible characters only). */
export function isBlankRow(values: readonly string[]): boolean {
  for (const v of values) if (v !== '' && !isBlank(v)) return false;
  return true;
}

export class MapStage {
  private readonly duplicates = new InFileDuplicates();

  constructor(private readonly o: MapStageOptions) {}

  /** The row's next step: send it (`ready`), its outcome, or undefined when an earlier run finished it. */
  decide(rec: SourceRecord): ValidRow | Outcome | undefined {
    const earlier = this.o.done?.has(rec.row) === true;
    if (rec.kind === 'malformed') {
      return earlier ? undefined : { kind: 'failed', row: rec.row, values: rec.values, code: 'malformed_row', message: rec.message };
    }
    if (isBlankRow(rec.values)) return earlier ? undefined : { kind: 'skipped', row: rec.row };
    const values = this.o.restoreFormulas ? rec.values.map(restoreCell) : rec.values;
    const v = mapRow(values, this.o.mapping, this.o.options);
    if (earlier) {
      if (v.ok) this.duplicates.check(rec.row, v.contact);
      return undefined;
    }
    if (!v.ok) return { kind: 'failed', row: rec.row, values: rec.values, contact: v.contact, code: v.code, message: v.message };
    const dup = this.duplicates.check(rec.row, v.contact);
    if (dup) {
      return { kind: 'failed', row: rec.row, values: rec.values, contact: v.contact, code: 'duplicate_in_file', message: dup.message, field: dup.key, value: dup.value };
    }
    return { kind: 'ready', row: rec.row, line: rec.line, values: rec.values, contact: v.contact };
  }
}
