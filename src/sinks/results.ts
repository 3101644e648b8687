// results.csv: one line per contact that exists in LiveDesk after the run, with its ID.
import type { Outcome } from '../types.js';
import { CsvFileWriter } from './csv-file.js';

export const RESULTS_HEADER = ['row', 'outcome', 'contact_id', 'name', 'email', 'phone_number', 'identifier'] as const;

export class ResultsWriter {
  private readonly file: CsvFileWriter;

  constructor(path: string) {
    this.file = new CsvFileWriter(path, RESULTS_HEADER);
  }

  get path(): string {
    return this.file.path;
  }

  write(o: Extract<Outcome, { kind: 'created' | 'existing' }>): Promise<void> {
    const c = o.contact;
    return this.file.write([
      String(o.row),
      o.kind,
      o.contactId,
      c.name ?? '',
      c.email ?? '',
      c.phone_number ?? '',
      c.identifier ?? '',
    ]);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
