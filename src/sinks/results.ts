// results.csv: one line per row whose contact is in LiveDesk after the run, with its ID.
import type { ContactFields } from '../types.js';
import { csvLine } from './csv-file.js';

export const RESULTS_HEADER = ['row', 'outcome', 'contact_id', 'name', 'email', 'phone_number', 'identifier'] as const;

/** created: we made it; existing: it was already there; updated: it was there and we updated it;
 *  would_create: a dry run with --check-existing found no such contact. */
export type ResultOutcome = 'created' | 'existing' | 'updated' | 'would_create';

export interface ResultRecord {
  row: number;
  kind: ResultOutcome;
  contactId: string;
  contact: ContactFields;
}

export type CellFilter = (cell: string) => string;
const asIs: CellFilter = (c) => c;

export function resultsHeaderLine(): string {
  return csvLine(RESULTS_HEADER);
}

export function resultLine(r: ResultRecord, cell: CellFilter = asIs): string {
  const c = r.contact;
  return csvLine([
    String(r.row),
    r.kind,
    cell(r.contactId),
    cell(c.name ?? ''),
    cell(c.email ?? ''),
    cell(c.phone_number ?? ''),
    cell(c.identifier ?? ''),
  ]);
}
