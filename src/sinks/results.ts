// results.csv: one line per row whose contact is in LiveDesk after the run, with its ID; a dry
// run's check writes its verdicts here too.
import type { ContactFields } from '../types.js';
import { csvLine } from './csv-file.js';

// `note` is last: columns are added at the end, so scripts reading by position keep working.
export const RESULTS_HEADER = ['row', 'outcome', 'contact_id', 'name', 'email', 'phone_number', 'identifier', 'note'] as const;

/** created: we made it; existing: it was already there; updated: it was there and we updated it;
 *  unchanged: the state store knows LiveDesk holds it with these very fields, so nothing was sent;
 *  would_create: a dry run with --check-existing found no such contact; conflict: the check found
 *  a contact holding one of the row's keys that disagrees on another (the note names it). */
export type ResultOutcome = 'created' | 'existing' | 'updated' | 'unchanged' | 'would_create' | 'conflict';

export interface ResultRecord {
  row: number;
  kind: ResultOutcome;
  /** The row's contact in LiveDesk; none for would_create and conflict (the holder is not the row's). */
  contactId?: string;
  contact: ContactFields;
  /** What a person should know about this row (a phone left out, an ID found by search, a conflict); empty for most. */
  note?: string;
}

export type CellFilter = (cell: string) => string;
const asIs: CellFilter = (c) => c;

export function resultsHeaderLine(): string {
  return csvLine(RESULTS_HEADER);
}

/**
 * Always `,` and no byte-order mark, whatever the input: scripts read this file, and a BOM would
 * become part of the first column's name for most CSV readers.
 * @param columns how many of RESULTS_HEADER's columns the file has: a run resumed from an earlier
 *   version's journal keeps writing that version's columns, so its file stays one shape.
 * @param row the number written in `row`: a fed-back failures file's rows keep their original
 *   numbers (see FailureFormat.shownRow).
 */
export function resultLine(r: ResultRecord, cell: CellFilter = asIs, columns: number = RESULTS_HEADER.length, row: number = r.row): string {
  const c = r.contact;
  const id = r.kind === 'would_create' || r.kind === 'conflict' ? '' : (r.contactId ?? '');
  const cells = [
    String(row),
    r.kind,
    cell(id),
    cell(c.name ?? ''),
    cell(c.email ?? ''),
    cell(c.phone_number ?? ''),
    cell(c.identifier ?? ''),
    cell(r.note ?? ''),
  ];
  return csvLine(columns < cells.length ? cells.slice(0, columns) : cells);
}
