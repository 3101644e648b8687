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
  /** The number a row is named by in duplicate messages (a fed-back failures file's original one); default its position. */
  rowNumber?: (row: number, values: readonly string[]) => number;
  /**
   * The input's size and how much of it has been parsed (0 for a pipe: unknown). Used once, a few
   * thousand rows in, to size the duplicate table for the whole file: growing it by doubling keeps
   * the old and the new table in memory at once (+50 % at the peak, ~25 MB at a million rows).
   */
  size?: { fileBytes: number; bytesRead: () => number };
}

/** Rows read before the duplicate table is sized from the share of the file they took. */
const SIZE_SAMPLE_ROWS = 4096;

/** The one blank-row rule: no cell holds anything visible (whitespace and invisible characters only). */
export function isBlankRow(values: readonly string[]): boolean {
  for (const v of values) if (v !== '' && !isBlank(v)) return false;
  return true;
}

/** A user role of the exporting product that marks its staff, not its customers (Zendesk). */
const STAFF_ROLE = /^\s*(?:agent|admin)\s*$/i;

export class MapStage {
  private readonly duplicates = new InFileDuplicates();
  /** Rows of the file whose role column (mapping.role) says agent or admin, a resumed run's earlier rows included. */
  staffRows = 0;
  /** Rows valid once their invalid phone was left out (--invalid-phone omit), a resumed run's earlier rows included. */
  phonesLeftOut = 0;

  constructor(private readonly o: MapStageOptions) {}

  /** The row's next step: send it (`ready`), its outcome, or undefined when an earlier run finished it. */
  decide(rec: SourceRecord): ValidRow | Outcome | undefined {
    if (rec.row === SIZE_SAMPLE_ROWS) this.sizeDuplicateTable();
    const earlier = this.o.done?.has(rec.row) === true;
    if (rec.kind === 'malformed') {
      return earlier ? undefined : { kind: 'failed', row: rec.row, values: rec.values, code: 'malformed_row', message: rec.message, ...(rec.raw === undefined ? {} : { raw: rec.raw }), ...(rec.lines === undefined ? {} : { lines: rec.lines }) };
    }
    if (isBlankRow(rec.values)) return earlier ? undefined : { kind: 'skipped', row: rec.row };
    const role = this.o.mapping.role;
    if (role !== undefined && STAFF_ROLE.test(rec.values[role] ?? '')) this.staffRows++;
    const values = this.o.restoreFormulas ? rec.values.map(restoreCell) : rec.values;
    const v = mapRow(values, this.o.mapping, this.o.options);
    if (v.ok && v.phoneLeftOut) this.phonesLeftOut++;
    if (earlier) {
      if (v.ok) this.duplicates.check(this.o.rowNumber?.(rec.row, rec.values) ?? rec.row, v.contact);
      return undefined;
    }
    if (!v.ok) return { kind: 'failed', row: rec.row, values: rec.values, contact: v.contact, code: v.code, message: v.message, ...(v.phoneOnly ? { phoneOnly: true as const } : {}) };
    const dup = this.duplicates.check(this.o.rowNumber?.(rec.row, rec.values) ?? rec.row, v.contact);
    if (dup) {
      return { kind: 'failed', row: rec.row, values: rec.values, contact: v.contact, code: 'duplicate_in_file', message: dup.message, field: dup.key, value: dup.value };
    }
    return v.note === undefined
      ? { kind: 'ready', row: rec.row, line: rec.line, values: rec.values, contact: v.contact }
      : { kind: 'ready', row: rec.row, line: rec.line, values: rec.values, contact: v.contact, note: v.note };
  }

  /** Keys so far ÷ share of the file read = keys in the file; 10 % more for rows that vary. */
  private sizeDuplicateTable(): void {
    const size = this.o.size;
    if (size === undefined || !(size.fileBytes > 0)) return;
    const share = size.bytesRead() / size.fileBytes;
    if (!(share > 0) || share >= 1) return;
    this.duplicates.reserve(Math.ceil((this.duplicates.size / share) * 1.1));
  }
}
